package io.longshort.export;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
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
 * PredictionLog   { LogMetadata log_metadata = 1; PredictLog predict_log = 6; ... }
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

  public static byte[] predictRequest(PredictRequest r) {
    return message(o -> {
      o.writeByteArray(1, message(spec -> {
        spec.writeString(1, r.modelName());
        if (r.version() != null) {
          spec.writeByteArray(2, message(v -> v.writeInt64(1, r.version())));
        }
        if (r.signatureName() != null && !r.signatureName().isEmpty()) {
          spec.writeString(3, r.signatureName());
        }
      }));
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
