package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.weights.Checksums;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import io.longshort.weights.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Checkpoints cannot silently feed damaged state: a byte flipped anywhere in a checkpoint's tensor
 * data or header, a truncated file, or a step counter that disagrees with the name is caught on
 * resume, which names the file and goes back to the newest intact checkpoint.
 */
class CheckpointIntegrityTest {
  @TempDir
  static Path dir;
  static Path listOps;
  /** A real run: ckpt-2 and ckpt-4 of a 2 x 64 ListOps model with AdamW state. */
  static Path run;

  static String[] cli(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine c = Main.commandLine();
    c.setOut(new PrintWriter(out));
    c.setErr(new PrintWriter(err));
    PrintStream systemErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = c.execute(args);
    } finally {
      System.setErr(systemErr);
    }
    String errors = err + captured.toString(StandardCharsets.UTF_8);
    assertEquals(expected, code, out + errors);
    return new String[] {out.toString(), errors};
  }

  static String[] trainArgs(Path runDir, int steps) {
    return new String[] {"train", "--listops", listOps.toString(), "--length", "64", "--batch", "4", "--steps",
        Integer.toString(steps), "--checkpoint-every", "2", "--keep", "3", "--eval-every", "1000", "--seed", "3",
        "--run", runDir.toString()};
  }

  @BeforeAll
  static void trainRun() {
    listOps = dir.resolve("listops");
    cli(0, "generate-listops", "--out", listOps.toString(), "--train", "40", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60");
    run = dir.resolve("run");
    cli(0, trainArgs(run, 4));
  }

  private static Path copyRun(String name) throws IOException {
    Path to = dir.resolve(name).resolve("checkpoints");
    Files.createDirectories(to);
    for (Path c : Checkpoints.list(run.resolve("checkpoints"))) {
      Files.copy(c, to.resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    return to;
  }

  private static void flip(Path file, long position) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(position);
      int b = f.read();
      f.seek(position);
      f.write(b ^ 0x01);
    }
  }

  @Test
  void intactCheckpointsVerify() throws IOException {
    Path dirs = run.resolve("checkpoints");
    assertEquals(List.of("ckpt-2.safetensors", "ckpt-4.safetensors"),
        Checkpoints.list(dirs).stream().map(p -> p.getFileName().toString()).toList());
    for (Path c : Checkpoints.list(dirs)) {
      Checkpoints.Verified v = Checkpoints.verify(c);
      assertTrue(v.checksummed(), c + " carries checksums");
      assertEquals(Checkpoints.step(c), v.step());
      assertEquals("true", v.metadata().get(Checkpoints.FINITE_KEY));
    }
  }

  /**
   * One bit flipped at the first, last and five seeded positions of every tensor's data of the
   * newest checkpoint: each is caught, naming the tensor, and the resume goes back to ckpt-2.
   */
  @Test
  void flippedByteInAnyTensorIsCaught() throws IOException {
    Path ckpts = copyRun("flipped");
    Path newest = ckpts.resolve("ckpt-4.safetensors");
    byte[] original = Files.readAllBytes(newest);
    List<TensorInfo> tensors = new ArrayList<>();
    try (Safetensors st = Safetensors.open(newest)) {
      for (String n : st.names()) {
        tensors.add(st.info(n));
      }
    }
    assertTrue(tensors.size() > 20, "parameters and optimizer slots: " + tensors.size());
    Random rnd = new Random(16);
    int tried = 0;
    for (TensorInfo t : tensors) {
      List<Long> positions = new ArrayList<>(List.of(t.begin(), t.end() - 1));
      for (int i = 0; i < 5; i++) {
        positions.add(t.begin() + (long) (rnd.nextDouble() * (t.end() - t.begin())));
      }
      for (long pos : positions) {
        flip(newest, pos);
        DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> Checkpoints.verify(newest),
            t.name() + " byte " + pos);
        assertTrue(e.getMessage().contains("ckpt-4.safetensors") && e.getMessage().contains("'" + t.name() + "'")
            && e.getMessage().contains("CRC32C"), e.getMessage());
        List<String> notes = new ArrayList<>();
        assertEquals(Optional.of(ckpts.resolve("ckpt-2.safetensors")), Checkpoints.newestIntact(ckpts, notes::add));
        assertTrue(notes.get(0).startsWith("checkpoint ckpt-4.safetensors is damaged, not used: ")
            && notes.get(0).contains("'" + t.name() + "'"), notes.toString());
        assertEquals("using ckpt-2.safetensors, the newest intact checkpoint", notes.get(1));
        flip(newest, pos);
        tried++;
      }
    }
    assertEquals(7 * tensors.size(), tried);
    assertArrayEquals(original, Files.readAllBytes(newest));
  }

  /** Bytes of the header (its length and its JSON) flipped in turn: caught, never accepted. */
  @Test
  void flippedHeaderByteIsCaught() throws IOException {
    Path ckpts = copyRun("header");
    Path newest = ckpts.resolve("ckpt-4.safetensors");
    byte[] original = Files.readAllBytes(newest);
    long headerEnd;
    try (Safetensors st = Safetensors.open(newest)) {
      headerEnd = st.names().stream().mapToLong(n -> {
        try {
          return st.info(n).begin();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }).min().orElseThrow();
    }
    // the JSON ends at its last '}'; the spaces after it only pad the data to 8 bytes
    long jsonEnd = headerEnd - 1;
    while (original[(int) jsonEnd] != '}') {
      jsonEnd--;
    }
    int accepted = 0;
    List<String> acceptedAt = new ArrayList<>();
    // every byte would take minutes (each check reads the whole file): the length, then 400 seeded positions
    List<Long> positions = new ArrayList<>(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L));
    Random rnd = new Random(17);
    for (int i = 0; i < 400; i++) {
      positions.add(8 + (long) (rnd.nextDouble() * (jsonEnd - 7)));
    }
    for (long pos : positions) {
      flip(newest, pos);
      try {
        Checkpoints.verify(newest);
        accepted++;
        acceptedAt.add(pos + ":'" + (char) original[(int) pos] + "'");
      } catch (DamagedCheckpointException e) {
        assertTrue(e.getMessage().contains("ckpt-4.safetensors"), e.getMessage());
      }
      flip(newest, pos);
    }
    assertArrayEquals(original, Files.readAllBytes(newest));
    assertEquals(0, accepted, "accepted flips at " + acceptedAt);
  }

  /**
   * The case seen: a flipped step-counter byte made a run at step 50 print "resuming at step 306".
   * With checksums the CRC catches it; in a checkpoint without checksums (as written before them)
   * the step counter disagreeing with the name and metadata does.
   */
  @Test
  void flippedStepCounterIsCaughtWithAndWithoutChecksums() throws IOException {
    Path ckpts = copyRun("step");
    Path newest = ckpts.resolve("ckpt-4.safetensors");
    long at;
    try (Safetensors st = Safetensors.open(newest)) {
      at = st.info(Checkpoints.STEP_TENSOR).begin();
    }
    byte[] original = Files.readAllBytes(newest);
    flip(newest, at + 1); // 4 -> 260
    DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> Checkpoints.verify(newest));
    assertTrue(e.getMessage().contains("'" + Checkpoints.STEP_TENSOR + "'"), e.getMessage());

    Files.write(newest, original);
    stripChecksums(newest);
    List<String> notes = new ArrayList<>();
    assertEquals(Optional.of(newest), Checkpoints.newestIntact(ckpts, notes::add));
    assertEquals(List.of("warning: " + newest + " has no checksums (written before checkpoints carried them): its"
        + " data cannot be verified"), notes);
    try (Safetensors st = Safetensors.open(newest)) {
      at = st.info(Checkpoints.STEP_TENSOR).begin();
    }
    flip(newest, at + 1);
    e = assertThrows(DamagedCheckpointException.class, () -> Checkpoints.verify(newest));
    assertEquals(newest + ": its name and metadata say step 4, its step counter 'optimizer/step' holds [260.0]",
        e.getMessage());
  }

  /** Rewrites a checkpoint as the code before checksums did: the same tensors and metadata, no crc32c keys. */
  static void stripChecksums(Path file) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    try (Safetensors st = Safetensors.open(file)) {
      st.metadata().forEach((k, v) -> {
        if (!k.startsWith("crc32c") && !k.equals(Checkpoints.FINITE_KEY)) {
          w.metadata(k, v);
        }
      });
      for (String n : st.names()) {
        TensorInfo t = st.info(n);
        double[] v = st.readDoubles(n);
        switch (t.dtype()) {
          case I64 -> {
            long[] l = new long[v.length];
            for (int i = 0; i < l.length; i++) {
              l[i] = (long) v[i];
            }
            w.putLongs(n, t.shape(), l);
          }
          case F32 -> w.putFloats(n, t.shape(), v);
          default -> throw new IllegalStateException(t.dtype().name());
        }
      }
    }
    w.write(file);
    try (Safetensors st = Safetensors.open(file)) {
      assertFalse(Checksums.present(st));
    }
  }

  @Test
  void nameAndMetadataStepMustAgree() throws IOException {
    Path ckpts = copyRun("renamed");
    Path moved = ckpts.resolve("ckpt-6.safetensors");
    Files.move(ckpts.resolve("ckpt-4.safetensors"), moved);
    DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> Checkpoints.verify(moved));
    assertEquals(moved + ": its name says step 6, its metadata says step 4", e.getMessage());
  }

  @Test
  void truncatedNewestFallsBackAndNoneIntactRefuses() throws IOException {
    Path ckpts = copyRun("truncated");
    Path newest = ckpts.resolve("ckpt-4.safetensors");
    byte[] b = Files.readAllBytes(newest);
    Files.write(newest, java.util.Arrays.copyOf(b, b.length - 100));
    List<String> notes = new ArrayList<>();
    assertEquals(Optional.of(ckpts.resolve("ckpt-2.safetensors")), Checkpoints.newestIntact(ckpts, notes::add));
    assertTrue(notes.get(0).startsWith("checkpoint ckpt-4.safetensors is damaged, not used: ")
        && notes.get(0).contains("truncated"), notes.toString());

    Files.write(ckpts.resolve("ckpt-2.safetensors"), new byte[] {1, 2, 3});
    DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class,
        () -> Checkpoints.newestIntact(ckpts, n -> {}));
    assertTrue(e.getMessage().startsWith("no intact checkpoint in " + ckpts + ":\n  ")
        && e.getMessage().contains("ckpt-4.safetensors: truncated") && e.getMessage().contains("ckpt-2.safetensors")
        && e.getMessage().endsWith("move the damaged files away to start again from step 0"), e.getMessage());
  }

  /**
   * The whole resume through the CLI: a damaged newest checkpoint and a leftover temporary file;
   * train says what it found, moves the damaged file aside, resumes at step 2, and ends at step 4
   * with the weights of the uninterrupted run (the same data order and dropout masks).
   */
  @Test
  void resumeFallsBackToNewestIntactAndEndsLikeTheUninterruptedRun() throws IOException {
    Path resumed = dir.resolve("resumed");
    Path ckpts = copyRun("resumed");
    Path newest = ckpts.resolve("ckpt-4.safetensors");
    long at;
    try (Safetensors st = Safetensors.open(newest)) {
      at = st.info("model.transformer_0.norm1.weight").begin() + 2;
    }
    flip(newest, at);
    Path leftover = Files.writeString(ckpts.resolve(".ckpt-6.safetensors123456.tmp"), "half a checkpoint");
    String[] r = cli(0, trainArgs(resumed, 4));
    assertTrue(r[0].contains("resuming at step 2 of 4"), r[0]);
    assertTrue(r[1].contains("removed " + leftover + ", left by a checkpoint write that was interrupted"), r[1]);
    assertTrue(r[1].contains("checkpoint ckpt-4.safetensors is damaged, not used: " + newest
        + ": damaged data: tensor 'model.transformer_0.norm1.weight'"), r[1]);
    assertTrue(r[1].contains("using ckpt-2.safetensors, the newest intact checkpoint"), r[1]);
    assertTrue(r[1].contains("moved the damaged ckpt-4.safetensors aside to ckpt-4.safetensors.damaged; the run goes"
        + " on from step 2"), r[1]);
    assertFalse(Files.exists(leftover));
    assertTrue(Files.exists(ckpts.resolve("ckpt-4.safetensors.damaged")));
    assertArrayEquals(Files.readAllBytes(run.resolve("checkpoints/ckpt-4.safetensors")), Files.readAllBytes(newest),
        "the resumed run's ckpt-4 is the uninterrupted run's, byte for byte");
  }
}
