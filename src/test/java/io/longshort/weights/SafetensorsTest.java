package io.longshort.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.HostTensors;
import io.longshort.spec.AttentionSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

class SafetensorsTest {
  @TempDir
  Path dir;

  static final AttentionSpec SPEC = AttentionSpec.longShort().setWidth(4).setHeads(2).setWindow(2).setRank(1).build();

  private static void assertMessage(Exception e, String... fragments) {
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  /** Every parameter of SPEC's graph, with value i * 0.01 + k, under its PyTorch name. */
  private Path completeWeights(String skip, String reshape, boolean intDtype) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter().metadata("module", "test");
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0)) {
      int k = 0;
      for (var p : g.parameters().list()) {
        String name = p.name().substring("attention.".length());
        k++;
        if (name.equals(skip)) {
          continue;
        }
        long[] shape = name.equals(reshape) ? new long[] {p.shape()[0] + 1} : p.shape();
        int size = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
          v[i] = i * 0.01 + k;
        }
        if (intDtype && name.equals("W_q.bias")) {
          w.putInts(name, shape, new int[size]);
        } else {
          w.putFloats(name, shape, v);
        }
      }
    }
    Path file = dir.resolve("weights.safetensors");
    w.write(file);
    return file;
  }

  @Test
  void writesAndReadsBack() throws IOException {
    Path file = dir.resolve("a.safetensors");
    new SafetensorsWriter().metadata("config", "{}")
        .putFloats("f", new long[] {2, 3}, new double[] {1, 2, 3, 4, 5, -6.5})
        .putDoubles("d", new long[] {1}, new double[] {Math.PI})
        .putInts("i", new long[] {3}, new int[] {7, -8, 9})
        .write(file);
    try (Safetensors st = Safetensors.open(file)) {
      assertEquals("{}", st.metadata().get("config"));
      assertArrayEquals(new long[] {2, 3}, st.info("f").shape());
      assertArrayEquals(new double[] {1, 2, 3, 4, 5, -6.5}, st.readDoubles("f"));
      assertArrayEquals(new double[] {Math.PI}, st.readDoubles("d"));
      assertArrayEquals(new int[] {7, -8, 9}, st.readInts("i"));
    }
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void halfPrecisionDecodes() {
    assertEquals(1.0f, Safetensors.halfToFloat((short) 0x3c00));
    assertEquals(-2.0f, Safetensors.halfToFloat((short) 0xc000));
    assertEquals(65504f, Safetensors.halfToFloat((short) 0x7bff));
    assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001));
  }

  @Test
  void truncatedFileIsNamed() throws IOException {
    Path good = dir.resolve("good.safetensors");
    new SafetensorsWriter().putFloats("w", new long[] {16}, new double[16]).write(good);
    byte[] bytes = Files.readAllBytes(good);
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.open(cut));
    assertMessage(e, "cut.safetensors", "truncated", "tensor 'w'");
    Files.write(cut, Arrays.copyOf(bytes, 5));
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(cut)), "truncated", "5 bytes");
  }

  @Test
  void badHeaderIsNamed() throws IOException {
    Path bad = dir.resolve("bad.safetensors");
    byte[] json = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2]".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json).putLong(0);
    Files.write(bad, b.array());
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(bad)),
        "bad.safetensors", "bad header", "not valid JSON");

    json = "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}".getBytes(StandardCharsets.UTF_8);
    b = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json).putLong(0);
    Files.write(bad, b.array());
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(bad)),
        "tensor 'w'", "hold 8 bytes", "needs 12");

    Files.write(bad, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(bad)), "bad header length");
  }

  @Test
  void missingFileIsNamed() {
    Path none = dir.resolve("none.safetensors");
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(none)),
        "none.safetensors", "no such file");
  }

  @Test
  void loadsEveryParameter() throws IOException {
    Path file = completeWeights(null, null, false);
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0);
        Safetensors st = Safetensors.open(file)) {
      var report = WeightLoader.load(g.session(), g.parameters(), st, "attention.", "");
      assertEquals(g.parameters().list().size(), report.loaded().size());
      var bias = g.parameters().get("attention.W_k.bias");
      try (var r = g.session().runner().fetch(bias.value()).run()) {
        assertArrayEquals(st.readDoubles("W_k.bias"), HostTensors.toDoubles(r.get(0)), 1e-7);
      }
    }
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    Path file = completeWeights("dual_ln_s.weight", null, false);
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0);
        Safetensors st = Safetensors.open(file)) {
      var e = assertThrows(SafetensorsException.class,
          () -> WeightLoader.load(g.session(), g.parameters(), st, "attention.", ""));
      assertMessage(e, "weights.safetensors", "no tensor 'dual_ln_s.weight'");
    }
  }

  @Test
  void shapeMismatchIsNamed() throws IOException {
    Path file = completeWeights(null, "W_v.bias", false);
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0);
        Safetensors st = Safetensors.open(file)) {
      var e = assertThrows(SafetensorsException.class,
          () -> WeightLoader.load(g.session(), g.parameters(), st, "attention.", ""));
      assertMessage(e, "tensor 'W_v.bias' has shape [5]", "has shape [4]");
    }
  }

  @Test
  void dtypeMismatchIsNamed() throws IOException {
    Path file = completeWeights(null, null, true);
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0);
        Safetensors st = Safetensors.open(file)) {
      var e = assertThrows(SafetensorsException.class,
          () -> WeightLoader.load(g.session(), g.parameters(), st, "attention.", ""));
      assertMessage(e, "tensor 'W_q.bias' has dtype I32", "F32");
    }
  }
}
