package io.longshort.export;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.TextFormat;
import com.google.protobuf.WrappersProto;
import java.util.List;
import java.util.Map;

/**
 * The files TF Serving reads at start-up, written through TF Serving's own messages and
 * protobuf's text format printer (never built as strings: a {@code "} or a newline in a path is
 * escaped, not taken for the end of a field): {@code models.config} (a {@code ModelServerConfig})
 * and {@code batching_parameters.txt} (a {@code BatchingParameters}).
 *
 * <p>TF Serving's protos are not in TF Java and this offline build compiles no .proto files, so
 * the few messages used are described here with their field numbers and names from
 * {@code tensorflow_serving/config/model_server_config.proto} and
 * {@code tensorflow_serving/servables/tensorflow/session_bundle_config.proto}, as a descriptor that
 * DynamicMessage prints and parses:
 * <pre>
 * package tensorflow.serving;
 * ModelConfig        { string name = 1; string base_path = 2; string model_platform = 4; }
 * ModelConfigList    { repeated ModelConfig config = 1; }
 * ModelServerConfig  { ModelConfigList model_config_list = 1; }
 * BatchingParameters { Int64Value max_batch_size = 1; Int64Value batch_timeout_micros = 2;
 *                      Int64Value num_batch_threads = 3; Int64Value max_enqueued_batches = 4; }
 * </pre>
 * Fields TF Serving has beyond these are left out (a reader of the whole message reads the files
 * the same).
 */
public final class ServingConfigProtos {
  private ServingConfigProtos() {}

  static final Descriptors.Descriptor MODEL_CONFIG;
  static final Descriptors.Descriptor MODEL_CONFIG_LIST;
  static final Descriptors.Descriptor MODEL_SERVER_CONFIG;
  static final Descriptors.Descriptor BATCHING_PARAMETERS;

  static {
    FileDescriptorProto file = FileDescriptorProto.newBuilder()
        .setName("longshort/tensorflow_serving_config.proto")
        .setPackage("tensorflow.serving")
        .setSyntax("proto3")
        .addDependency(WrappersProto.getDescriptor().getFile().getName())
        .addMessageType(DescriptorProto.newBuilder().setName("ModelConfig")
            .addField(field("name", 1, FieldDescriptorProto.Type.TYPE_STRING, null, false))
            .addField(field("base_path", 2, FieldDescriptorProto.Type.TYPE_STRING, null, false))
            .addField(field("model_platform", 4, FieldDescriptorProto.Type.TYPE_STRING, null, false)))
        .addMessageType(DescriptorProto.newBuilder().setName("ModelConfigList")
            .addField(field("config", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".tensorflow.serving.ModelConfig", true)))
        .addMessageType(DescriptorProto.newBuilder().setName("ModelServerConfig")
            .addField(field("model_config_list", 1, FieldDescriptorProto.Type.TYPE_MESSAGE,
                ".tensorflow.serving.ModelConfigList", false)))
        .addMessageType(DescriptorProto.newBuilder().setName("BatchingParameters")
            .addField(field("max_batch_size", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value", false))
            .addField(field("batch_timeout_micros", 2, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value", false))
            .addField(field("num_batch_threads", 3, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value", false))
            .addField(field("max_enqueued_batches", 4, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value", false)))
        .build();
    try {
      Descriptors.FileDescriptor fd = Descriptors.FileDescriptor.buildFrom(file,
          new Descriptors.FileDescriptor[] {WrappersProto.getDescriptor().getFile()});
      MODEL_CONFIG = fd.findMessageTypeByName("ModelConfig");
      MODEL_CONFIG_LIST = fd.findMessageTypeByName("ModelConfigList");
      MODEL_SERVER_CONFIG = fd.findMessageTypeByName("ModelServerConfig");
      BATCHING_PARAMETERS = fd.findMessageTypeByName("BatchingParameters");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type, String typeName,
      boolean repeated) {
    FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(repeated ? FieldDescriptorProto.Label.LABEL_REPEATED : FieldDescriptorProto.Label.LABEL_OPTIONAL)
        .setJsonName(name);
    if (typeName != null) {
      f.setTypeName(typeName);
    }
    return f.build();
  }

  /** A model of models.config: its name and the base path TF Serving finds its versions under. */
  public record Model(String name, String basePath) {}

  /** The text of a models.config serving {@code models} (platform tensorflow), in this order. */
  public static String modelsConfig(List<Model> models) {
    DynamicMessage.Builder list = DynamicMessage.newBuilder(MODEL_CONFIG_LIST);
    Descriptors.FieldDescriptor config = MODEL_CONFIG_LIST.findFieldByName("config");
    for (Model m : models) {
      list.addRepeatedField(config, DynamicMessage.newBuilder(MODEL_CONFIG)
          .setField(MODEL_CONFIG.findFieldByName("name"), m.name())
          .setField(MODEL_CONFIG.findFieldByName("base_path"), m.basePath())
          .setField(MODEL_CONFIG.findFieldByName("model_platform"), "tensorflow").build());
    }
    DynamicMessage server = DynamicMessage.newBuilder(MODEL_SERVER_CONFIG)
        .setField(MODEL_SERVER_CONFIG.findFieldByName("model_config_list"), list.build()).build();
    return TextFormat.printer().printToString(server);
  }

  /** The models of a models.config text (parsed as TF Serving's ModelServerConfig). */
  public static List<Model> parseModelsConfig(String text) throws TextFormat.ParseException {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(MODEL_SERVER_CONFIG);
    TextFormat.getParser().merge(text, b);
    DynamicMessage list = (DynamicMessage) b.getField(MODEL_SERVER_CONFIG.findFieldByName("model_config_list"));
    Descriptors.FieldDescriptor config = MODEL_CONFIG_LIST.findFieldByName("config");
    List<Model> out = new java.util.ArrayList<>();
    for (int i = 0; i < list.getRepeatedFieldCount(config); i++) {
      DynamicMessage m = (DynamicMessage) list.getRepeatedField(config, i);
      out.add(new Model((String) m.getField(MODEL_CONFIG.findFieldByName("name")),
          (String) m.getField(MODEL_CONFIG.findFieldByName("base_path"))));
    }
    return out;
  }

  /** The text of a batching_parameters.txt with these int64 settings (BatchingParameters field names). */
  public static String batchingParameters(Map<String, Long> settings) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(BATCHING_PARAMETERS);
    settings.forEach((name, value) -> {
      Descriptors.FieldDescriptor f = BATCHING_PARAMETERS.findFieldByName(name);
      if (f == null) {
        throw new IllegalArgumentException("BatchingParameters has no field " + name);
      }
      b.setField(f, Int64Value.of(value));
    });
    return TextFormat.printer().printToString(b.build());
  }

  /** The int64 settings of a batching_parameters.txt text, by field name. */
  public static Map<String, Long> parseBatchingParameters(String text) throws TextFormat.ParseException {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(BATCHING_PARAMETERS);
    TextFormat.getParser().merge(text, b);
    Map<String, Long> out = new java.util.LinkedHashMap<>();
    for (Map.Entry<Descriptors.FieldDescriptor, Object> e : b.build().getAllFields().entrySet()) {
      com.google.protobuf.Message v = (com.google.protobuf.Message) e.getValue();
      out.put(e.getKey().getName(), (Long) v.getField(v.getDescriptorForType().findFieldByName("value")));
    }
    return out;
  }
}
