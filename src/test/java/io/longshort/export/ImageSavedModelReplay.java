package io.longshort.export;

import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Run in a fresh JVM by {@link ImageSavedModelExportTest}: loads an image classifier's SavedModel
 * with SavedModelBundle and runs every signature on {@code images} from a safetensors file,
 * writing {@code <signature>.<output>}. Args: savedmodel-dir in.safetensors out.safetensors.
 */
public final class ImageSavedModelReplay {
  public static void main(String[] args) throws Exception {
    SafetensorsWriter w = new SafetensorsWriter();
    try (SavedModelBundle b = SavedModelBundle.load(args[0], SavedModelWriter.TAG);
        Safetensors in = Safetensors.open(Path.of(args[1]))) {
      double[] values = in.readDoubles("images");
      float[] pixels = new float[values.length];
      for (int i = 0; i < values.length; i++) {
        pixels[i] = (float) values[i];
      }
      try (TFloat32 images = TFloat32.tensorOf(Shape.of(in.info("images").shape()),
          org.tensorflow.ndarray.buffer.DataBuffers.of(pixels, true, false))) {
        for (var e : b.metaGraphDef().getSignatureDefMap().entrySet()) {
          SignatureDef sig = e.getValue();
          Session.Runner runner = b.session().runner().feed(sig.getInputsMap().get("images").getName(), images);
          List<String> names = new ArrayList<>(sig.getOutputsMap().keySet());
          names.forEach(n -> runner.fetch(sig.getOutputsMap().get(n).getName()));
          try (var r = runner.run()) {
            for (int i = 0; i < names.size(); i++) {
              w.putDoubles(e.getKey() + "." + names.get(i), r.get(i).shape().asArray(), doubles(r.get(i)));
            }
          }
        }
      }
    }
    w.write(Path.of(args[2]));
  }

  /** Float outputs as they are; the int64 classes widened to double. */
  private static double[] doubles(org.tensorflow.Tensor t) {
    if (t instanceof TInt64 ints) {
      double[] out = new double[Math.toIntExact(ints.size())];
      for (int i = 0; i < out.length; i++) {
        out[i] = ints.getLong(i);
      }
      return out;
    }
    return HostTensors.toDoubles(t);
  }
}
