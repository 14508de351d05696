package io.longshort.export;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.WeakHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * TfCheckpoints in TensorFlow's tensor-bundle format ({@code <prefix>.index} and
 * {@code <prefix>.data-00000-of-00001}), written and read by TF's own SaveV2 / RestoreV2 ops run in
 * the model's session, so every TF tool reads them ({@code tf.train.load_checkpoint},
 * {@code tf.train.Checkpoint}, TF1 savers, TF Serving through a SavedModel's saver_def).
 *
 * <p>Keys are TF2's object-based ones ({@link TrackableTree#checkpointKey}), and every checkpoint
 * also holds {@code _CHECKPOINTABLE_OBJECT_GRAPH}, the serialized TrackableObjectGraph of the
 * parameters' {@link TrackableTree}.
 *
 * <pre>{@code
 * TfCheckpoints.save(graph.session(), graph.parameters(), Path.of("ckpt/step-100"));
 * TfCheckpoints.restore(graph.session(), graph.parameters(), Path.of("ckpt/step-100"));
 * }</pre>
 *
 * The save and restore ops are added to the graph once per {@link Parameters} (under
 * {@code save/}); {@link #saver} gives them with the {@link SaverDef} that names them.
 */
public final class TfCheckpoints {
  public static final String OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
  /** The suffix of the single data shard SaveV2 writes. */
  public static final String DATA_SUFFIX = ".data-00000-of-00001";
  public static final String INDEX_SUFFIX = ".index";

  /** Parameters has identity equality; weak keys let closed models' savers go. */
  private static final Map<Parameters<?>, Saver> SAVERS = Collections.synchronizedMap(new WeakHashMap<>());

  private TfCheckpoints() {}

  /** Save and restore ops for every parameter of one graph. */
  public static final class Saver {
    private final PlaceholderWithDefault<TString> filename;
    private final Operand<TString> saveDone;
    private final Op restoreAll;
    private final TrackableTree tree;

    private Saver(PlaceholderWithDefault<TString> filename, Operand<TString> saveDone, Op restoreAll,
        TrackableTree tree) {
      this.filename = filename;
      this.saveDone = saveDone;
      this.restoreAll = restoreAll;
      this.tree = tree;
    }

    /** The names TF1 loaders and TF Serving use to restore (version V2, one shard). */
    public SaverDef saverDef() {
      return SaverDef.newBuilder()
          .setFilenameTensorName(filename.op().name() + ":0")
          .setSaveTensorName(saveDone.op().name() + ":0")
          .setRestoreOpName(restoreAll.op().name())
          .setMaxToKeep(5)
          .setSharded(false)
          .setKeepCheckpointEveryNHours(10000)
          .setVersion(SaverDef.CheckpointFormatVersion.V2)
          .build();
    }

    public TrackableTree tree() {
      return tree;
    }

    /** Writes {@code prefix.index} and {@code prefix.data-00000-of-00001} from the session's values. */
    public void save(Session session, Path prefix) throws IOException {
      Path abs = prefix.toAbsolutePath();
      Files.createDirectories(abs.getParent());
      try (TString p = TString.scalarOf(abs.toString());
          var r = session.runner().feed(filename, p).fetch(saveDone).run()) {
        // the fetch makes SaveV2 run
      }
    }

    /** Sets every parameter from the checkpoint at {@code prefix}. */
    public void restore(Session session, Path prefix) throws IOException {
      Path abs = prefix.toAbsolutePath();
      if (!Files.isRegularFile(Path.of(abs + INDEX_SUFFIX))) {
        throw new IOException("no checkpoint at " + prefix + " (" + abs.getFileName() + INDEX_SUFFIX + " is missing)");
      }
      try (TString p = TString.scalarOf(abs.toString())) {
        session.runner().feed(filename, p).addTarget(restoreAll).run();
      } catch (org.tensorflow.exceptions.TensorFlowException e) {
        throw new IOException("cannot restore " + prefix + ": " + e.getMessage(), e);
      }
    }
  }

  /** The saver of {@code params}' graph, added on first use. */
  public static Saver saver(Parameters<?> params) {
    synchronized (SAVERS) {
      return SAVERS.computeIfAbsent(params, TfCheckpoints::build);
    }
  }

  public static void save(Session session, Parameters<?> params, Path prefix) throws IOException {
    saver(params).save(session, prefix);
  }

  public static void restore(Session session, Parameters<?> params, Path prefix) throws IOException {
    saver(params).restore(session, prefix);
  }

  private static <T extends org.tensorflow.types.family.TFloating> Saver build(Parameters<T> params) {
    Graph graph = params.graph();
    TrackableTree tree = TrackableTree.of(params);
    Ops tf = Ops.create(graph).withSubScope("save");
    PlaceholderWithDefault<TString> filename = tf.withName("filename")
        .placeholderWithDefault(tf.constant("model"), Shape.scalar());
    List<Parameter<T>> list = params.list();
    int n = list.size();
    // SaveV2: the object graph first, then every variable's current value
    String[] keys = new String[n + 1];
    List<Operand<?>> values = new ArrayList<>();
    keys[0] = OBJECT_GRAPH_KEY;
    values.add(tf.withName("object_graph").constant(
        TString.tensorOfBytes(NdArrays.scalarOfObject(tree.toTrackableObjectGraph().toByteArray()))));
    for (int i = 0; i < n; i++) {
      keys[i + 1] = TrackableTree.checkpointKey(list.get(i).name());
      values.add(list.get(i).variable()); // the stored dtype (float32 master weights under mixed precision)
    }
    String[] slices = new String[n + 1];
    java.util.Arrays.fill(slices, "");
    var save = tf.withName("SaveV2").train.save(filename, tf.withName("tensor_names").constant(UTF_8, keys),
        tf.withName("shape_and_slices").constant(UTF_8, slices), values);
    Operand<TString> saveDone = tf.withControlDependencies(List.of(save))
        .withName("control_dependency").identity(filename);
    // RestoreV2 of the variables only; one AssignVariableOp each
    String[] varKeys = java.util.Arrays.copyOfRange(keys, 1, n + 1);
    String[] varSlices = new String[n];
    java.util.Arrays.fill(varSlices, "");
    List<Class<? extends TType>> dtypes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      dtypes.add(params.variableDtype());
    }
    Restore restore = tf.withName("RestoreV2").train.restore(filename,
        tf.withName("restore_tensor_names").constant(UTF_8, varKeys),
        tf.withName("restore_shape_and_slices").constant(UTF_8, varSlices), dtypes);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Operand<?> v = restore.tensors().get(i);
      assigns.add(tf.withName("Assign_" + i).assignVariableOp(list.get(i).handle(), v));
    }
    Op restoreAll = tf.withControlDependencies(assigns).withName("restore_all").noOp();
    return new Saver(filename, saveDone, restoreAll, tree);
  }
}
