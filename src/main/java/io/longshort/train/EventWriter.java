package io.longshort.train;

import io.longshort.io.TfRecords;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.Summary;

/**
 * TensorBoard event files: TFRecords ({@link TfRecords#frame}) of {@code Event} protos, the format TensorBoard's own reader expects. Written by hand
 * because TF Java's summary ops need a resource-backed writer per graph; the format is small and
 * stable. Each record is flushed, so TensorBoard sees a live run.
 */
public final class EventWriter implements AutoCloseable {
  private final OutputStream out;
  private final Path file;

  public EventWriter(Path dir) throws IOException {
    Files.createDirectories(dir);
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    file = dir.resolve("events.out.tfevents." + System.currentTimeMillis() / 1000 + "." + host);
    out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW);
    write(Event.newBuilder().setWallTime(now()).setFileVersion("brain.Event:2").build());
  }

  public Path file() {
    return file;
  }

  public void scalar(String tag, long step, double value) throws IOException {
    write(Event.newBuilder().setWallTime(now()).setStep(step)
        .setSummary(Summary.newBuilder().addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue((float) value)))
        .build());
  }

  /** The graph, for TensorBoard's graph view. */
  public void graph(GraphDef graph) throws IOException {
    write(Event.newBuilder().setWallTime(now()).setGraphDef(graph.toByteString()).build());
  }

  private void write(Event event) throws IOException {
    out.write(TfRecords.frame(event.toByteArray()));
    out.flush();
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
