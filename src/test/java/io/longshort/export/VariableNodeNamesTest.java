package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** Handles renamed to their shared names, every reference following; shared or clashing names left alone. */
class VariableNodeNamesTest {
  private static NodeDef handle(String name, String shared) {
    return NodeDef.newBuilder().setName(name).setOp("VarHandleOp")
        .putAttr("shared_name", AttrValue.newBuilder().setS(ByteString.copyFromUtf8(shared)).build()).build();
  }

  private static NodeDef node(String name, String op, String... inputs) {
    return NodeDef.newBuilder().setName(name).setOp(op).addAllInput(List.of(inputs)).build();
  }

  @Test
  void renamesHandlesAndTheirReferences() {
    GraphDef.Builder g = GraphDef.newBuilder()
        .addNode(handle("model/cls_embed", "model.cls_embed"))
        .addNode(handle("encoder/kernel", "model.kernel"))
        .addNode(handle("decode/state_a", "decode_state.k")) // two handles share one resource on purpose
        .addNode(handle("decode/state_b", "decode_state.k"))
        .addNode(handle("clash", "taken")) // another node already has the name
        .addNode(node("taken", "Const"))
        .addNode(handle("already", "already"))
        .addNode(node("read", "ReadVariableOp", "model/cls_embed"))
        .addNode(node("assign", "AssignVariableOp", "encoder/kernel:0", "init", "^model/cls_embed"))
        .addNode(node("model/cls_embed_read", "ReadVariableOp", "model/cls_embed_x"));
    Map<String, String> renamed = VariableNodeNames.apply(g);
    assertEquals(Map.of("model/cls_embed", "model.cls_embed", "encoder/kernel", "model.kernel"), renamed);
    assertEquals(List.of("model.cls_embed", "model.kernel", "decode/state_a", "decode/state_b", "clash", "taken",
        "already", "read", "assign", "model/cls_embed_read"), g.getNodeList().stream().map(NodeDef::getName).toList());
    assertEquals(List.of("model.cls_embed"), g.getNode(7).getInputList());
    assertEquals(List.of("model.kernel:0", "init", "^model.cls_embed"), g.getNode(8).getInputList());
    assertEquals(List.of("model/cls_embed_x"), g.getNode(9).getInputList()); // a prefix is not a reference
  }
}
