package io.longshort.train;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.Summary;

/**
 * TensorBoard event files: TFRecords (length, masked CRC32C of the length, data, masked CRC32C of
 * the data) of {@code Event} protos, the format TensorBoard's own reader expects. Written by hand
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
    byte[] data = event.toByteArray();
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(data.length);
    header.putInt(maskedCrc(header.array(), 0, 8));
    out.write(header.array());
    out.write(data);
    out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data, 0, data.length)).array());
    out.flush();
  }

  /** TFRecord's masked CRC32C: rotate right by 15 bits and add a constant. */
  static int maskedCrc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
