package io.longshort.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.Golden;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.MsVitArch;
import io.longshort.spec.VisionSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * What an MsViT state_dict may hold beside our parameters: the index buffers are skipped, a tensor of
 * another architecture (a deeper stage) refuses the whole file before any variable changes.
 */
class MsVitWeightsTest {
  @Test
  void buffersAreSkippedAndAnotherArchitectureIsRefusedWhole(@TempDir Path dir) throws Exception {
    Path golden = Golden.dir().resolve("vision").resolve("vil_ls_4stage_w2_r2.safetensors");
    try (Safetensors st = Safetensors.open(golden)) {
      VisionSpec spec = MsVitArch.fromAuthorsConfig(new ObjectMapper().readTree(st.metadata().get("config")));
      SafetensorsWriter withBuffer = new SafetensorsWriter();
      SafetensorsWriter deeper = new SafetensorsWriter();
      for (String n : st.names()) {
        if (!n.startsWith("input.") && !n.startsWith("output.")) {
          withBuffer.putFloats(n, st.info(n).shape(), st.readDoubles(n));
          // other values, so that a load that went through would show in the logits
          deeper.putFloats(n, st.info(n).shape(), java.util.Arrays.stream(st.readDoubles(n)).map(v -> 2 * v).toArray());
        }
      }
      // MsViT's buffer (int64 in their state_dict)
      withBuffer.putLongs("layer1.1.attn.relative_position_index", new long[] {2, 2}, new long[] {0, 1, 2, 3});
      deeper.putFloats("layer2.5.norm.weight", new long[] {32}, new double[32]);
      withBuffer.write(dir.resolve("buffer.safetensors"));
      deeper.write(dir.resolve("deeper.safetensors"));

      long batch = st.info("input.images").shape()[0];
      float[] pixels = new float[Math.toIntExact(batch * spec.imageSize() * spec.imageSize() * spec.channels())];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) Math.sin(i * 0.37);
      }
      try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, batch, 0);
          Safetensors buffer = Safetensors.open(dir.resolve("buffer.safetensors"));
          Safetensors other = Safetensors.open(dir.resolve("deeper.safetensors"))) {
        WeightLoader.Report report = MsVitWeights.load(g.session(), g.parameters(), buffer, Set.of());
        assertEquals(g.parameters().list().size(), report.loaded().size());
        assertEquals(List.of("layer1.1.attn.relative_position_index"), report.unused());
        double[] loaded = g.logits(batch, pixels);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> MsVitWeights.load(g.session(), g.parameters(), other, Set.of()));
        assertTrue(e.getMessage().contains("1 tensor(s) the model has no parameter for, e.g. [layer2.5.norm.weight]"),
            e.getMessage());
        assertArrayEquals(loaded, g.logits(batch, pixels), 0.0, "a refused file changes nothing");
      }
    }
  }
}
