package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Fuzz target of the TF Serving REST request parser ({@link RestPredict}) on a small graph with the
 * signatures of our exports: serving_default (input_ids and mask int32 (-1, 4) -> logits float32,
 * classes int64) and "single" (one input, one output). Every request is answered with a JSON
 * object of predictions or outputs, or refused as a BadRequest with a message: nothing else.
 */
class RestPredictFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Graph graph;
  private static Session session;
  private static Map<String, SignatureDef> signatures;

  @BeforeAll
  static void model() {
    graph = new Graph();
    Ops tf = Ops.create(graph);
    var ids = tf.withName("input_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, 4)));
    var mask = tf.withName("mask").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, 4)));
    var logits = tf.withName("logits").dtypes.cast(tf.math.mul(ids, mask), TFloat32.class);     // (B, 4)
    var classes = tf.withName("classes").math.argMax(logits, tf.constant(1));                 // (B,) int64
    var scaled = tf.withName("scaled").math.mul(tf.dtypes.cast(ids, TFloat32.class), tf.constant(0.5f));
    var temperature = tf.withName("temperature").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
    var topK = tf.withName("top_k").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
    var product = tf.withName("product").math.mul(temperature, tf.dtypes.cast(topK, TFloat32.class));    // (B,)
    session = new Session(graph);
    signatures = Map.of(
        "serving_default", SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict")
            .putInputs("input_ids", info("input_ids:0", DataType.DT_INT32, -1, 4))
            .putInputs("mask", info("mask:0", DataType.DT_INT32, -1, 4))
            .putOutputs("logits", info("logits:0", DataType.DT_FLOAT, -1, 4))
            .putOutputs("classes", info("classes:0", DataType.DT_INT64, -1)).build(),
        "single", SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict")
            .putInputs("input_ids", info("input_ids:0", DataType.DT_INT32, -1, 4))
            .putOutputs("scaled", info("scaled:0", DataType.DT_FLOAT, -1, 4)).build(),
        "sampling", SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict")
            .putInputs("temperature", info("temperature:0", DataType.DT_FLOAT, -1))
            .putInputs("top_k", info("top_k:0", DataType.DT_INT32, -1))
            .putOutputs("product", info("product:0", DataType.DT_FLOAT, -1)).build());
  }

  private static TensorInfo info(String name, DataType dtype, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorInfo.newBuilder().setName(name).setDtype(dtype).setTensorShape(shape).build();
  }

  @AfterAll
  static void close() {
    session.close();
    graph.close();
  }

  @Test
  void generateSettingsAreRefusedAsTheGenerateCommandRefusesThem() throws Exception {
    String[][] cases = {
        {"-0.5", "2", "input 'temperature': -0.5 at [1] must be a finite number >= 0 (0 = greedy)"},
        {"1", "-1", "input 'top_k': -1 at [1] must be >= 0"},
    };
    for (String[] c : cases) {
      String request = "{\"signature_name\": \"sampling\", \"inputs\": {\"temperature\": [1, " + c[0]
          + "], \"top_k\": [0, " + c[1] + "]}}";
      RestPredict.BadRequest e = assertThrows(RestPredict.BadRequest.class,
          () -> RestPredict.predict(session, signatures, request));
      assertEquals(c[2], e.getMessage());
    }
    assertEquals("{\"outputs\":[0.0,1.0]}", RestPredict.predict(session, signatures,
        "{\"signature_name\": \"sampling\", \"inputs\": {\"temperature\": [1, 0.5], \"top_k\": [0, 2]}}"));
  }

  @FuzzTest(maxDuration = "2m")
  void anyRequestIsAnsweredOrRefusedAsABadRequest(byte[] data) throws Exception {
    String request = new String(data, StandardCharsets.UTF_8);
    ServingLimits limits = new ServingLimits(8, 10, Path.of("batching_parameters.txt"));
    String answer;
    try {
      answer = RestPredict.predict(session, signatures, request, limits);
    } catch (RestPredict.BadRequest e) {
      assertNotNull(e.getMessage());
      assertFalse(e.getMessage().isBlank());
      JsonNode error = JSON.readTree(RestPredict.errorJson(e.getMessage()));
      assertTrue(error.get("error").isTextual());
      return;
    }
    JsonNode response = JSON.readTree(answer);
    assertTrue(response.has("predictions") || response.has("outputs"), answer);
  }
}
