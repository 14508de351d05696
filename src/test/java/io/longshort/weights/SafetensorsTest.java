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

  /** A file with this header JSON (padded to 8 bytes) and {@code dataBytes} zero bytes of data. */
  private Path raw(String name, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(json);
    while (b.position() < 8 + padded) {
      b.put((byte) ' ');
    }
    Path file = dir.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  private static String f32(String name, int values, int begin) {
    return "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": [" + values + "], \"data_offsets\": [" + begin
        + ", " + (begin + 4 * values) + "]}";
  }

  @Test
  void overlappingGappedOrUntiledDataIsRefusedAsTheReferenceRefusesIt() throws IOException {
    // what once imported norm.weight's bytes as norm.bias
    Path overlap = raw("overlap.safetensors", "{" + f32("norm.weight", 4, 0) + ", " + f32("norm.bias", 4, 0) + "}", 16);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(overlap)),
        "overlap.safetensors", "tensor 'norm.bias' (data_offsets [0, 16]) overlaps tensor 'norm.weight' ([0, 16])");
    Path partly = raw("partly.safetensors", "{" + f32("a", 4, 0) + ", " + f32("b", 4, 8) + "}", 24);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(partly)), "'b'", "overlaps tensor 'a'");
    Path gap = raw("gap.safetensors", "{" + f32("a", 2, 0) + ", " + f32("b", 2, 12) + "}", 20);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(gap)),
        "bytes [8, 12) of the data area belong to no tensor (before tensor 'b')");
    Path late = raw("late.safetensors", "{" + f32("a", 2, 4) + "}", 12);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(late)), "bytes [0, 4)");
    Path trailing = raw("trailing.safetensors", "{" + f32("a", 2, 0) + "}", 12);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(trailing)),
        "the tensors cover 8 bytes of the data area but the file holds 12", "bytes [8, 12) belong to no tensor");
    // out of order in the header but tiling the data area: accepted, as by the reference
    Path shuffled = raw("shuffled.safetensors", "{" + f32("b", 1, 8) + ", " + f32("a", 2, 0) + ", "
        + "\"empty\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [12, 12]}}", 12);
    try (Safetensors st = Safetensors.open(shuffled)) {
      assertEquals(java.util.Set.of("a", "b", "empty"), st.names());
      assertEquals(0, st.readDoubles("empty").length);
    }
  }

  @Test
  void duplicateNamesBadMetadataAndOverflowAreRefused() throws IOException {
    Path twice = raw("twice.safetensors", "{" + f32("a", 1, 0) + ", " + f32("a", 1, 4) + "}", 8);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(twice)),
        "not valid JSON", "Duplicate field 'a'");
    Path meta = raw("meta.safetensors", "{\"__metadata__\": {\"step\": 5}, " + f32("a", 1, 0) + "}", 4);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(meta)),
        "__metadata__ entry 'step' must be a string, got 5");
    Path huge = raw("huge.safetensors", "{\"a\": {\"dtype\": \"F64\", \"shape\": [4294967296, 4294967296], "
        + "\"data_offsets\": [0, 0]}}", 0);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(huge)), "tensor 'a'", "overflows");
    Path fraction = raw("fraction.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], "
        + "\"data_offsets\": [0, 4]}}", 4);
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(fraction)), "shape entry 1.5");
    byte[] latin1 = {'{', '"', (byte) 0xe9, '"', ':', '1', '}'};
    Path notUtf8 = dir.resolve("latin1.safetensors");
    Files.write(notUtf8, ByteBuffer.allocate(8 + latin1.length).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(latin1.length).put(latin1).array());
    assertMessage(assertThrows(SafetensorsException.class, () -> Safetensors.open(notUtf8)), "not valid UTF-8");
  }

  @Test
  void dtypeConversionsAreReported() throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(SPEC, TFloat32.class, 1, 4, 0)) {
      for (var p : g.parameters().list()) {
        String name = p.name().substring("attention.".length());
        int size = Math.toIntExact(Arrays.stream(p.shape()).reduce(1, (a, b) -> a * b));
        if (name.equals("W_q.bias")) {
          w.putDoubles(name, p.shape(), new double[size]);
        } else {
          w.putFloats(name, p.shape(), new double[size]);
        }
      }
      Path file = dir.resolve("mixed.safetensors");
      w.write(file);
      try (Safetensors st = Safetensors.open(file)) {
        var report = WeightLoader.load(g.session(), g.parameters(), st, "attention.", "");
        assertEquals(java.util.List.of("warning: tensor 'W_q.bias': F64 converted to float32 (rounded to nearest)"),
            report.warnings());
      }
    }
  }
}
