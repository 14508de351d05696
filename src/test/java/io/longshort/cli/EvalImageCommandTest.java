package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.images.Preprocessing;
import io.longshort.data.images.RgbImage;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import io.longshort.weights.SafetensorsWriter;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * eval-image on an image folder made here: its top-1 and top-5 counts equal a plain-Java reference
 * that preprocesses each file (the preprocessing PreprocessingTest checks against Pillow), runs the
 * model on it alone and ranks the logits by sorting.
 */
class EvalImageCommandTest {
  @TempDir
  Path dir;

  @Test
  void topOneAndTopFiveEqualAPlainJavaReference() throws Exception {
    VisionSpec spec = VisionSpec.load("vil_ls_tiny"); // 32 x 32, 8 classes
    Path images = dir.resolve("val");
    Random rnd = new Random(11);
    for (int c = 0; c < spec.classes(); c++) {
      Path classDir = Files.createDirectories(images.resolve(String.format("n%08d", c)));
      for (int i = 0; i < 3; i++) {
        // sizes around the resize target int(32 / 0.875) = 36: shrunk, enlarged, portrait, landscape
        int w = 20 + rnd.nextInt(40);
        int h = 20 + rnd.nextInt(40);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            img.setRGB(x, y, (((x * 255 / w) ^ (c * 29)) & 0xff) << 16 | ((y * 255 / h + i * 40) & 0xff) << 8
                | rnd.nextInt(256));
          }
        }
        ImageIO.write(img, "png", classDir.resolve("img" + i + ".png").toFile());
      }
    }
    Path weights = dir.resolve("weights.safetensors");
    // the parameters by state_dict name, plus an index buffer of MsViT's (skipped, as train-image --weights does)
    SafetensorsWriter w = new SafetensorsWriter().putLongs("layer1.1.attn.relative_position_index", new long[] {1},
        new long[] {0});
    int top1 = 0;
    int top5 = 0;
    int n = 0;
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, 1, 5)) {
      for (Parameter<TFloat32> p : g.parameters().list()) {
        try (var r = g.session().runner().fetch(p.value()).run()) {
          w.putFloats(p.name(), p.shape(), HostTensors.toDoubles(r.get(0)));
        }
      }
      // the reference: files in class-folder then name order, one image at a time, ranks by sorting
      List<Path> classes;
      try (Stream<Path> s = Files.list(images)) {
        classes = s.sorted().toList();
      }
      for (int c = 0; c < classes.size(); c++) {
        List<Path> files;
        try (Stream<Path> s = Files.list(classes.get(c))) {
          files = s.sorted().toList();
        }
        for (Path f : files) {
          double[] logits = g.logits(1, Preprocessing.authorsEval(32).normalised(RgbImage.read(f)));
          List<Integer> order = new ArrayList<>(IntStream.range(0, logits.length).boxed().toList());
          order.sort(Comparator.comparingDouble((Integer k) -> logits[k]).reversed());
          int label = c;
          top1 += order.get(0) == label ? 1 : 0;
          top5 += order.subList(0, 5).contains(label) ? 1 : 0;
          n++;
        }
      }
    }
    w.write(weights);
    assertTrue(top1 > 0 && top5 > top1 && top5 < n, "a reference that tells the counts apart: " + top1 + ", " + top5);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    // batches of 5 (the last one of 4) decoded on 2 threads
    int code = cli.execute("eval-image", "--spec", "vil_ls_tiny", "--weights", weights.toString(), "--images",
        images.toString(), "--batch", "5", "--threads", "2");
    assertEquals(0, code, out + "\n" + err);
    String o = out.toString();
    assertTrue(o.contains("; unused tensors: [layer1.1.attn.relative_position_index]"), o);
    assertTrue(o.contains("eval-image: 24 images, 8 classes; shorter side to 36 (bicubic), centre crop 32 x 32"), o);
    assertTrue(o.contains(String.format(java.util.Locale.ROOT, "top-1 %.4f %%  top-5 %.4f %%  (%d and %d of %d images)",
        100.0 * top1 / n, 100.0 * top5 / n, top1, top5, n)), o + "\nreference: top-1 " + top1 + ", top-5 " + top5);
    assertTrue(o.contains("images 24/24"), "the progress reaches the end: " + o);

    // a train-image run's checkpoint: the model and weights come from it
    Path run = dir.resolve("run");
    assertEquals(0, cli.execute("train-image", "--spec", "vil_ls_tiny", "--train-size", "16", "--eval-size", "8",
        "--steps", "2", "--batch", "8", "--run", run.toString()), err.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, cli.execute("eval-image", "--run", run.toString(), "--checkpoint", "latest", "--images",
        images.toString(), "--batch", "8"), err.toString());
    assertTrue(out.toString().contains("parameters from " + run.resolve("checkpoints/ckpt-2.safetensors") + " (step 2)"),
        out.toString());
    assertTrue(out.toString().contains("of 24 images)"), out.toString());

    // a folder whose classes are not the model's, and a model without weights, say so
    Files.createDirectories(images.resolve("extra_class"));
    Files.copy(images.resolve("n00000000/img0.png"), images.resolve("extra_class/a.png"));
    assertEquals(2, cli.execute("eval-image", "--spec", "vil_ls_tiny", "--weights", weights.toString(), "--images",
        images.toString()));
    assertTrue(err.toString().contains("the image folder has 9 class folders, the model 8 classes"), err.toString());
    assertEquals(2, cli.execute("eval-image", "--spec", "vil_ls_tiny", "--images", images.toString()));
    assertTrue(err.toString().contains("--spec vil_ls_tiny needs --weights FILE"), err.toString());
  }
}
