package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.LabelNames;
import io.longshort.io.TfRecords;
import io.longshort.train.RunLabels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import picocli.CommandLine;

/** train --train-file/--valid-file: an LRA text classifier trains from JSONL, CSV and TFRecord files with string labels. */
class TrainUserFilesTest {
  @TempDir
  Path dir;

  private String[] run(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(expected, cli.execute(args), out + "\n" + err);
    return new String[] {out.toString(), err.toString()};
  }

  private static String text(int i) {
    return (i % 2 == 0 ? "a fine film, " : "a dull film, ") + "number " + i;
  }

  private static String label(int i) {
    return i % 2 == 0 ? "pos" : "neg";
  }

  private Path jsonl(String name, int rows) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      sb.append("{\"review\": \"").append(text(i)).append("\", \"sentiment\": \"").append(label(i)).append("\"}\n");
    }
    return Files.writeString(dir.resolve(name), sb.toString());
  }

  private String[] train(Path trainFile, Path validFile, Path run, int expected, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--spec", "lra_text", "--train-file", trainFile.toString(),
        "--valid-file", validFile.toString(), "--text-field", "review", "--label-field", "sentiment", "--length", "32",
        "--batch", "4", "--steps", "2", "--eval-every", "2", "--run", run.toString()));
    args.addAll(List.of(more));
    return run(expected, args.toArray(new String[0]));
  }

  @Test
  void jsonlWithStringLabelsTrainsAndRecordsTheLabels() throws Exception {
    Path run = dir.resolve("run");
    String out = train(jsonl("train.jsonl", 16), jsonl("valid.jsonl", 8), run, 0)[0];
    assertTrue(out.contains("labels (sentiment): neg, pos"), out);
    assertTrue(Files.exists(run.resolve("checkpoints").resolve("ckpt-2.safetensors")), out);
    assertEquals(new LabelNames(List.of("neg", "pos")), RunLabels.read(run).orElseThrow());
    // resuming with other labels would give the class ids other meanings: refused, labels.json kept
    String err = train(jsonl("train.jsonl", 16), jsonl("valid.jsonl", 8), run, 2, "--labels", "pos,neg")[1];
    assertTrue(err.contains("labels.json records the labels [neg, pos]; this data has [pos, neg]"), err);
    assertEquals(new LabelNames(List.of("neg", "pos")), RunLabels.read(run).orElseThrow());
  }

  @Test
  void csvAndTfRecordTrainToo() throws Exception {
    StringBuilder csv = new StringBuilder("sentiment,review\n");
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      csv.append(label(i)).append(",\"").append(text(i)).append("\"\n");
      records.add(Example.newBuilder().setFeatures(Features.newBuilder()
          .putFeature("review", bytes(text(i))).putFeature("sentiment", bytes(label(i)))).build().toByteArray());
    }
    Path c = Files.writeString(dir.resolve("train.csv"), csv.toString());
    String out = train(c, c, dir.resolve("csv-run"), 0)[0];
    assertTrue(out.contains("labels (sentiment): neg, pos"), out);
    Path t = dir.resolve("train.tfrecord");
    TfRecords.write(t, records);
    out = train(t, t, dir.resolve("tfrecord-run"), 0)[0];
    assertTrue(out.contains("labels (sentiment): neg, pos"), out);
    assertTrue(Files.exists(dir.resolve("tfrecord-run").resolve("checkpoints").resolve("ckpt-2.safetensors")), out);
  }

  private static Feature bytes(String s) {
    return Feature.newBuilder().setBytesList(BytesList.newBuilder()
        .addValue(com.google.protobuf.ByteString.copyFrom(s, StandardCharsets.UTF_8))).build();
  }

  @Test
  void badDataIsOneLineNamingFileRowAndField() throws Exception {
    Path trainFile = jsonl("train.jsonl", 16);
    Path valid = Files.writeString(dir.resolve("valid.jsonl"), Files.readString(jsonl("v.jsonl", 4))
        + "{\"review\": \"so-so\", \"sentiment\": \"meh\"}\n");
    String err = train(trainFile, valid, dir.resolve("r1"), 2)[1];
    assertTrue(err.contains(valid + " line 5: field 'sentiment': label 'meh' is not one of the training labels"
        + " [neg, pos]"), err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);

    Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"review\": \"x\", \"sentiment\": \"pos\"}\n{\"review\"\n");
    err = train(broken, valid, dir.resolve("r2"), 2)[1];
    assertTrue(err.contains(broken + " line 2: broken JSON"), err);

    Path three = Files.writeString(dir.resolve("three.jsonl"), Files.readString(trainFile)
        + "{\"review\": \"x\", \"sentiment\": \"other\"}\n");
    err = train(three, valid, dir.resolve("r3"), 2)[1];
    assertTrue(err.contains("--label-field (sentiment): 3 labels [neg, other, pos], but the model has 2 classes"), err);

    err = train(dir.resolve("train.parquet"), valid, dir.resolve("r4"), 2)[1];
    assertTrue(err.contains("--train-file (" + dir.resolve("train.parquet") + "): no such file"), err);
    Path parquet = Files.writeString(dir.resolve("data.parquet"), "x");
    err = train(parquet, valid, dir.resolve("r5"), 2)[1];
    assertTrue(err.contains("unknown file type"), err);
    assertFalse(Files.exists(dir.resolve("r1").resolve(RunLabels.FILE)), "nothing written for a refused run");
  }
}
