package io.longshort.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.TensorProto;

/**
 * TF Serving's PredictionLog / PredictLog / PredictRequest / ModelSpec messages, encoded and
 * decoded by hand with protobuf's CodedOutputStream / CodedInputStream.
 *
 * <p>Why by hand: there are no TF Serving classes for Java, and compiling our own copies of its
 * .proto files would need protoc at build time (a download this offline-buildable project avoids)
 * for four messages of which we use a handful of fields. The field numbers are TF Serving's
 * ({@code tensorflow_serving/apis/prediction_log.proto}, {@code predict.proto},
 * {@code model.proto}):
 * <pre>
 * PredictionLog   { LogMetadata log_metadata = 1; ClassifyLog classify_log = 2; PredictLog predict_log = 6; ... }
 * ClassifyLog     { ClassificationRequest request = 1; ClassificationResponse response = 2; }
 * ClassificationRequest { ModelSpec model_spec = 1; Input input = 2; }
 * Input           { ExampleList example_list = 1; ... }    ExampleList { repeated tensorflow.Example examples = 1; }
 * PredictLog      { PredictRequest request = 1; PredictResponse response = 2; }
 * PredictRequest  { ModelSpec model_spec = 1; map&lt;string, TensorProto&gt; inputs = 2;
 *                   repeated string output_filter = 3; }
 * ModelSpec       { string name = 1; google.protobuf.Int64Value version = 2;
 *                   string signature_name = 3; }
 * </pre>
 * A map entry is a message {key = 1, value = 2}; TensorProto is TensorFlow's own message, embedded
 * as its bytes (wire-identical to an embedded message).
 */
public final class ServingProtos {
  private ServingProtos() {}

  /** A decoded PredictRequest. */
  public record PredictRequest(String modelName, Long version, String signatureName, Map<String, TensorProto> inputs) {}

  /** A PredictionLog whose predict_log.request is {@code request}. */
  public static byte[] predictionLog(PredictRequest request) {
    return message(o -> o.writeByteArray(6, message(p -> p.writeByteArray(1, predictRequest(request)))));
  }

  /** A decoded ClassificationRequest of serialized tf.Example protos. */
  public record ClassificationRequest(String modelName, Long version, String signatureName, List<byte[]> examples) {}

  /** A PredictionLog whose classify_log.request is {@code request} (TF Serving replays it through its classifier). */
  public static byte[] classificationLog(ClassificationRequest r) {
    byte[] request = message(o -> {
      o.writeByteArray(1, modelSpec(r.modelName(), r.version(), r.signatureName()));
      o.writeByteArray(2, message(input -> input.writeByteArray(1, message(list -> {
        for (byte[] e : r.examples()) {
          list.writeByteArray(1, e);
        }
      }))));
    });
    return message(o -> o.writeByteArray(2, message(c -> c.writeByteArray(1, request))));
  }

  /** The request of a PredictionLog's classify_log; fails when the log holds none. */
  public static ClassificationRequest parseClassificationLog(byte[] bytes) throws IOException {
    byte[] log = field(bytes, 2);
    byte[] request = log == null ? null : field(log, 1);
    if (request == null) {
      throw new IOException("not a PredictionLog with a classify_log request (field 2)");
    }
    PredictRequest spec = parsePredictRequest(modelSpecOnly(request));
    byte[] input = field(request, 2);
    byte[] list = input == null ? null : field(input, 1);
    List<byte[]> examples = new ArrayList<>();
    if (list != null) {
      CodedInputStream in = CodedInputStream.newInstance(list);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (WireFormat.getTagFieldNumber(tag) == 1) {
          examples.add(in.readByteArray());
        } else {
          in.skipField(tag);
        }
      }
    }
    return new ClassificationRequest(spec.modelName(), spec.version(), spec.signatureName(), examples);
  }

  /** The model_spec field (1) of a request alone, which parsePredictRequest reads as any request's. */
  private static byte[] modelSpecOnly(byte[] request) throws IOException {
    byte[] spec = field(request, 1);
    return spec == null ? new byte[0] : message(o -> o.writeByteArray(1, spec));
  }

  private static byte[] modelSpec(String name, Long version, String signature) {
    return message(spec -> {
      spec.writeString(1, name);
      if (version != null) {
        spec.writeByteArray(2, message(v -> v.writeInt64(1, version)));
      }
      if (signature != null && !signature.isEmpty()) {
        spec.writeString(3, signature);
      }
    });
  }

  public static byte[] predictRequest(PredictRequest r) {
    return message(o -> {
      o.writeByteArray(1, modelSpec(r.modelName(), r.version(), r.signatureName()));
      for (Map.Entry<String, TensorProto> e : r.inputs().entrySet()) {
        o.writeByteArray(2, message(entry -> {
          entry.writeString(1, e.getKey());
          entry.writeBytes(2, e.getValue().toByteString());
        }));
      }
    });
  }

  /** The request of a PredictionLog; fails when the log holds no predict_log. */
  public static PredictRequest parsePredictionLog(byte[] bytes) throws IOException {
    byte[] predictLog = field(bytes, 6);
    if (predictLog == null) {
      throw new IOException("not a PredictionLog with a predict_log (field 6)");
    }
    byte[] request = field(predictLog, 1);
    if (request == null) {
      throw new IOException("predict_log has no request");
    }
    return parsePredictRequest(request);
  }

  public static PredictRequest parsePredictRequest(byte[] bytes) throws IOException {
    String name = "";
    Long version = null;
    String signature = "";
    Map<String, TensorProto> inputs = new LinkedHashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int number = WireFormat.getTagFieldNumber(tag);
      if (number == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        CodedInputStream spec = CodedInputStream.newInstance(in.readByteArray());
        for (int t = spec.readTag(); t != 0; t = spec.readTag()) {
          switch (WireFormat.getTagFieldNumber(t)) {
            case 1 -> name = spec.readString();
            case 2 -> {
              byte[] v = spec.readByteArray();
              CodedInputStream vi = CodedInputStream.newInstance(v);
              long value = 0;
              for (int vt = vi.readTag(); vt != 0; vt = vi.readTag()) {
                if (WireFormat.getTagFieldNumber(vt) == 1) {
                  value = vi.readInt64();
                } else {
                  vi.skipField(vt);
                }
              }
              version = value;
            }
            case 3 -> signature = spec.readString();
            default -> spec.skipField(t);
          }
        }
      } else if (number == 2 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        CodedInputStream entry = CodedInputStream.newInstance(in.readByteArray());
        String key = "";
        TensorProto value = TensorProto.getDefaultInstance();
        for (int t = entry.readTag(); t != 0; t = entry.readTag()) {
          switch (WireFormat.getTagFieldNumber(t)) {
            case 1 -> key = entry.readString();
            case 2 -> value = TensorProto.parseFrom(entry.readBytes());
            default -> entry.skipField(t);
          }
        }
        inputs.put(key, value);
      } else {
        in.skipField(tag);
      }
    }
    return new PredictRequest(name, version, signature, inputs);
  }

  /** The last occurrence of length-delimited field {@code number}, or null. */
  private static byte[] field(byte[] bytes, int number) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    byte[] found = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) == number
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        found = in.readByteArray();
      } else {
        in.skipField(tag);
      }
    }
    return found;
  }

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      body.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory encoding failed", e);
    }
  }

}
