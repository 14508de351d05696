package io.longshort.export;

import io.longshort.io.TfRecords;
import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;

/**
 * Run in a fresh JVM by {@link SavedModelExportTest}: loads a SavedModel with SavedModelBundle,
 * runs serving_default on the example inputs ({@code <out>}: {@code output.<name>}) and on every
 * warm-up request ({@code warmup.<i>.<name>}). Args: savedmodel-dir out.safetensors.
 */
public final class SavedModelReplay {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    SafetensorsWriter w = new SafetensorsWriter();
    List<Tensor> fed = new ArrayList<>();
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), SavedModelWriter.TAG);
        Safetensors example = Safetensors.open(dir.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE))) {
      SignatureDef sig = b.metaGraphDef().getSignatureDefMap().get(SavedModelWriter.DEFAULT_SIGNATURE);
      Session.Runner runner = b.session().runner();
      for (String name : example.names()) {
        if (name.startsWith("input.")) {
          Tensor t = HostTensors.ints(example.info(name).shape(), example.readInts(name));
          fed.add(t);
          runner.feed(sig.getInputsMap().get(name.substring("input.".length())).getName(), t);
        }
      }
      run(runner, sig, w, "output.");
      List<byte[]> records = TfRecords.read(dir.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.WARMUP_FILE));
      for (int i = 0; i < records.size(); i++) {
        Session.Runner r = b.session().runner();
        SignatureDef s;
        try {
          ServingProtos.PredictRequest req = ServingProtos.parsePredictionLog(records.get(i));
          s = b.metaGraphDef().getSignatureDefMap().get(req.signatureName());
          for (Map.Entry<String, TensorProto> in : req.inputs().entrySet()) {
            Tensor t = req.inputs().get(in.getKey()).getDtype() == org.tensorflow.proto.DataType.DT_STRING
                ? org.tensorflow.types.TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(
                    in.getValue().getStringValList().stream().map(com.google.protobuf.ByteString::toByteArray)
                        .toArray(byte[][]::new)))
                : TensorProtos.toTensor(in.getValue());
            fed.add(t);
            r.feed(s.getInputsMap().get(in.getKey()).getName(), t);
          }
        } catch (java.io.IOException notPredict) {
          // a ClassificationRequest: its tf.Example protos are the classify signature's "inputs"
          ServingProtos.ClassificationRequest req = ServingProtos.parseClassificationLog(records.get(i));
          s = b.metaGraphDef().getSignatureDefMap().get(req.signatureName());
          Tensor t = org.tensorflow.types.TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(
              req.examples().toArray(byte[][]::new)));
          fed.add(t);
          r.feed(s.getInputsMap().get("inputs").getName(), t);
        }
        run(r, s, w, "warmup." + i + ".");
      }
    } finally {
      fed.forEach(Tensor::close);
    }
    w.write(Path.of(args[1]));
  }

  private static void run(Session.Runner runner, SignatureDef sig, SafetensorsWriter w, String prefix) {
    List<String> names = new ArrayList<>(sig.getOutputsMap().keySet());
    names.forEach(n -> runner.fetch(sig.getOutputsMap().get(n).getName()));
    try (var r = runner.run()) {
      for (int i = 0; i < names.size(); i++) {
        if (r.get(i) instanceof org.tensorflow.types.TString) {
          continue; // class names: the numbers are what the replay compares
        }
        // int outputs (the text signatures' truncated, scored counts) are written as their values
        double[] values = r.get(i) instanceof org.tensorflow.types.TInt32
            ? java.util.Arrays.stream(HostTensors.toInts(r.get(i))).asDoubleStream().toArray()
            : HostTensors.toDoubles(r.get(i));
        w.putFloats(prefix + names.get(i), r.get(i).shape().asArray(), values);
      }
    }
  }
}
