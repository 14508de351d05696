package io.longshort.cli;

import io.longshort.compile.SavedModelTpuCheck;
import io.longshort.compile.TpuCompatibility;
import io.longshort.export.CompiledSignatures;
import io.longshort.export.SavedModelWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Shows a SavedModel's tag-sets and signatures, like {@code saved_model_cli show --all}. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Shows a SavedModel's tag-sets, signatures (method, inputs and outputs with dtypes and shapes,"
        + " and whether XLA compiles them), variables and object graph, like saved_model_cli show --all."
        + " --tpu adds the TPU-compatibility report of each signature, for any SavedModel (ours or not):"
        + " ops without an XLA kernel, dynamic shapes and host-only ops, with their name scopes, in the"
        + " graph and in the library functions the signature calls (calls, While, If, Case). The inputs'"
        + " unknown batch dimension is fixed at --batch first (a server for accelerators pads batches to"
        + " fixed sizes)."
        + " Security: a SavedModel is a program (TensorFlow's security model); load none from an untrusted"
        + " source.")
final class InspectCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Parameters(paramLabel = "DIR", description = "A SavedModel folder (holding saved_model.pb), e.g. savedmodels/listops/1.")
  Path dir;

  @Option(names = "--tpu", description = "Add the TPU-compatibility report of every signature, the inputs' unknown"
      + " first dimension fixed at --batch.")
  boolean tpu;

  // the batch --tpu fixes the inputs' unknown first dimension at, as --tpu's help says
  @Mixin
  BatchOption batch = BatchOption.defaultingTo(1);

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    Path file = dir.resolve(SavedModelWriter.SAVED_MODEL_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " is not a SavedModel: no " + SavedModelWriter.SAVED_MODEL_FILE);
    }
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(file));
    for (MetaGraphDef mg : sm.getMetaGraphsList()) {
      o.println();
      o.println("MetaGraphDef with tag-set: '" + String.join(", ", mg.getMetaInfoDef().getTagsList())
          + "' contains the following SignatureDefs:");
      for (Map.Entry<String, SignatureDef> s : new TreeMap<>(mg.getSignatureDefMap()).entrySet()) {
        o.println();
        o.println("signature_def['" + s.getKey() + "']:");
        o.println("  The given SavedModel SignatureDef contains the following input(s):");
        printInfos(o, "inputs", s.getValue().getInputsMap());
        o.println("  The given SavedModel SignatureDef contains the following output(s):");
        printInfos(o, "outputs", s.getValue().getOutputsMap());
        o.println("  Method name is: " + s.getValue().getMethodName());
        if (!s.getKey().startsWith("__")) {
          o.println("  XLA: " + CompiledSignatures.describe(mg, s.getKey()));
        }
      }
      o.println();
      var objects = mg.getObjectGraphDef();
      long variables = objects.getNodesList().stream().filter(n -> n.hasVariable()).count();
      o.printf("Object graph: %d nodes, %d variables, %d concrete functions; saver restores with '%s' (%s)%n",
          objects.getNodesCount(), variables, objects.getConcreteFunctionsCount(),
          mg.getSaverDef().getRestoreOpName(), mg.getSaverDef().getVersion());
      o.println("Graph: " + mg.getGraphDef().getNodeCount() + " nodes, " + mg.getGraphDef().getLibrary().getFunctionCount()
          + " library functions; TensorFlow " + mg.getMetaInfoDef().getTensorflowVersion());
    }
    if (tpu) {
      o.println();
      boolean ok = true;
      for (Map.Entry<String, TpuCompatibility.Report> r : SavedModelTpuCheck.check(dir, batch.value()).entrySet()) {
        o.println("TPU compatibility of signature_def['" + r.getKey() + "'] (batch " + batch.value() + "): " + r.getValue());
        ok &= r.getValue().ok();
      }
      o.println(ok ? "every signature can run as XLA computations with static shapes"
          : "some signatures cannot run as one XLA computation with static shapes (see above)");
    }
    o.flush();
    return 0;
  }

  private static void printInfos(PrintWriter o, String kind, Map<String, TensorInfo> infos) {
    for (Map.Entry<String, TensorInfo> e : new TreeMap<>(infos).entrySet()) {
      o.println("    " + kind + "['" + e.getKey() + "'] tensor_info:");
      o.println("        dtype: " + e.getValue().getDtype());
      o.println("        shape: " + shape(e.getValue().getTensorShape()));
      o.println("        name: " + e.getValue().getName());
    }
  }

  static String shape(TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return "unknown_rank";
    }
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < s.getDimCount(); i++) {
      b.append(i > 0 ? ", " : "").append(s.getDim(i).getSize());
    }
    return b.append(s.getDimCount() == 1 ? ",)" : ")").toString();
  }
}
