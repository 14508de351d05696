package io.longshort.graph.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The serving signatures every model with logits offers: {@code serving_default} (logits,
 * probabilities) and, for classifiers, {@value #CLASSIFY_IDS} (scores, classes: the int64 class
 * id), each taking the model's inputs. (The name {@code classify} is the text Classify API's,
 * which the export adds: {@code io.longshort.export.TextSignatures}.) The softmax and argmax ops are added to the graph once, so asking again finds them.
 */
public final class ServingSignatures {
  public static final String DEFAULT = "serving_default";
  public static final String CLASSIFY_IDS = "classify_ids";

  private ServingSignatures() {}

  /** Signatures by key; inputs and outputs sorted by name, as the SavedModel lists them. */
  public static synchronized <T extends TFloating> Map<String, ServableModel.Signature> ofLogits(Graph graph,
      Operand<T> logits, Map<String, Operand<?>> inputs, boolean classifier) {
    Ops tf = Ops.create(graph);
    Map<String, ServableModel.Signature> sigs = new LinkedHashMap<>();
    if (io.longshort.graph.core.Precision.isNarrow(logits.type())) {
      // bf16 (or f16) models serve float32: logits widened before softmax and argmax
      Operand<?> wide = existing(graph, "logits_float32");
      @SuppressWarnings("unchecked")
      Operand<T> widened = (Operand<T>) (wide != null ? wide
          : tf.withName("logits_float32").dtypes.cast(logits, org.tensorflow.types.TFloat32.class));
      logits = widened;
    }
    Operand<?> probs = existing(graph, "probabilities");
    if (probs == null) {
      probs = tf.withName("probabilities").nn.softmax(logits);
    }
    sigs.put(DEFAULT, new ServableModel.Signature(sorted(inputs), sorted(Map.of("logits", logits, "probabilities", probs))));
    if (classifier) {
      Operand<?> scores = existing(graph, CLASSIFY_IDS + "/scores");
      Operand<?> classes = existing(graph, CLASSIFY_IDS + "/classes");
      if (scores == null) {
        Ops c = tf.withSubScope(CLASSIFY_IDS);
        scores = c.withName("scores").identity(probs.asOutput());
        Operand<TInt64> argmax = c.math.argMax(logits, c.constant(-1));
        classes = c.withName("classes").identity(argmax);
      }
      sigs.put(CLASSIFY_IDS, new ServableModel.Signature(sorted(inputs), sorted(Map.of("scores", scores, "classes", classes))));
    }
    return sigs;
  }

  private static Operand<?> existing(Graph graph, String name) {
    var op = graph.operation(name);
    return op == null ? null : op.output(0);
  }

  private static <V> Map<String, V> sorted(Map<String, V> m) {
    return new LinkedHashMap<>(new TreeMap<>(m));
  }
}
