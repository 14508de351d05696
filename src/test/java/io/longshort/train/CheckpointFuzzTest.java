package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.weights.FuzzFiles;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Fuzz targets of the checkpoint reader ({@link Checkpoints#restore}) on a small training state:
 * two float32 parameters and an int64 step counter. A file either sets every variable to exactly
 * the file's values or is refused with an IOException naming it (and sets none); what
 * {@link Checkpoints#save} writes restores equal, the step counter included at any size.
 */
class CheckpointFuzzTest {
  private static Graph graph;
  private static Session session;
  private static List<TrainingVariable> variables;

  @BeforeAll
  static void trainingState() {
    graph = new Graph();
    Parameters<TFloat32> params = new Parameters<>(graph, TFloat32.class, 0);
    Parameter<TFloat32> w = params.getOrCreate("layer.weight", new long[] {2, 3}, Initializer.zeros());
    Parameter<TFloat32> b = params.getOrCreate("layer.bias", new long[] {3}, Initializer.zeros());
    Ops tf = Ops.create(graph);
    VarHandleOp handle = tf.withName("step").varHandleOp(TInt64.class, Shape.scalar(),
        VarHandleOp.sharedName("step"));
    Operand<TInt64> read = tf.withName("step_read").readVariableOp(handle, TInt64.class);
    Placeholder<TInt64> value = tf.withName("step_value").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    variables = List.of(TrainingVariable.of(params, w), TrainingVariable.of(params, b),
        new TrainingVariable("optimizer/step", new long[0], TInt64.class, read, value,
            tf.withName("step_assign").assignVariableOp(handle, value)));
    session = new Session(graph);
    var init = session.runner();
    for (TrainingVariable v : variables) {
      init.addTarget(v.assign());
    }
    try (Tensor w0 = HostTensors.of(TFloat32.class, new long[] {2, 3}, new double[6]);
        Tensor b0 = HostTensors.of(TFloat32.class, new long[] {3}, new double[3]);
        Tensor s0 = TInt64.scalarOf(0)) {
      init.feed(variables.get(0).setValue(), w0).feed(variables.get(1).setValue(), b0)
          .feed(variables.get(2).setValue(), s0).run().close();
    }
  }

  @AfterAll
  static void close() {
    session.close();
    graph.close();
  }

  /** Every variable's value: doubles for the parameters, the exact long for the step. */
  private static List<Object> values() {
    var runner = session.runner();
    variables.forEach(v -> runner.fetch(v.value()));
    List<Object> out = new ArrayList<>();
    try (var r = runner.run()) {
      out.add(HostTensors.toDoubles(r.get(0)));
      out.add(HostTensors.toDoubles(r.get(1)));
      out.add(((TInt64) r.get(2)).getLong());
    }
    return out;
  }

  private static void assertState(List<Object> expected) {
    List<Object> now = values();
    assertArrayEquals((double[]) expected.get(0), (double[]) now.get(0));
    assertArrayEquals((double[]) expected.get(1), (double[]) now.get(1));
    assertEquals(expected.get(2), now.get(2));
  }

  @FuzzTest(maxDuration = "2m")
  void anyFileIsRestoredWholeOrRefusedClearly(byte[] data) throws IOException {
    Path file = FuzzFiles.file("ckpt-1.safetensors");
    Files.write(file, data);
    List<Object> before = values();
    try {
      Checkpoints.restore(file, session, variables);
    } catch (IOException e) {
      assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
      assertState(before);
      return;
    }
    try (Safetensors st = Safetensors.open(file)) {
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        double[] v = st.readDoubles(variables.get(i).name());
        for (int k = 0; k < v.length; k++) {
          v[k] = (float) v[k];
        }
        expected.add(v);
      }
      expected.add(st.readLongs("optimizer/step")[0]);
      assertState(expected);
    }
  }

  @FuzzTest(maxDuration = "2m")
  void whatSaveWritesRestoresEqual(FuzzedDataProvider data) throws IOException {
    double[] w = new double[6];
    double[] b = new double[3];
    for (int i = 0; i < 6; i++) {
      w[i] = data.consumeFloat();
    }
    for (int i = 0; i < 3; i++) {
      b[i] = data.consumeFloat();
    }
    long step = data.consumeLong(0, Long.MAX_VALUE); // a checkpoint's step is its counter's value
    String key = "user." + data.consumeString(10); // "step" is the checkpoint's own entry
    String meta = data.consumeRemainingAsString();
    try (Tensor wt = HostTensors.of(TFloat32.class, new long[] {2, 3}, w);
        Tensor bt = HostTensors.of(TFloat32.class, new long[] {3}, b);
        Tensor st = TInt64.scalarOf(step)) {
      session.runner().feed(variables.get(0).setValue(), wt).feed(variables.get(1).setValue(), bt)
          .feed(variables.get(2).setValue(), st).addTarget(variables.get(0).assign())
          .addTarget(variables.get(1).assign()).addTarget(variables.get(2).assign()).run().close();
    }
    List<Object> saved = values();
    Path dir = FuzzFiles.file("run");
    Map<String, String> metadata;
    try {
      metadata = Map.of(key, meta);
      Path file = Checkpoints.save(dir, step, session, variables, metadata, 1);
      // scramble the state, then restore it from the file
      try (Tensor z = TInt64.scalarOf(step ^ 1)) {
        session.runner().feed(variables.get(2).setValue(), z).addTarget(variables.get(2).assign()).run().close();
      }
      Map<String, String> read = Checkpoints.restore(file, session, variables);
      assertEquals(meta, read.get(key));
    } catch (IllegalArgumentException refused) {
      // a metadata key or value UTF-8 cannot hold (a lone surrogate): refused by name
      assertTrue(refused.getMessage().startsWith("metadata entry "), refused.getMessage());
      return;
    }
    assertState(saved);
  }
}
