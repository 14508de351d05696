package io.longshort.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * TFRecord files: each record is its length (uint64, little-endian), the masked CRC-32C of those 8
 * bytes (uint32 LE), the data, and the masked CRC-32C of the data. What TF Serving reads warm-up
 * requests from, {@code tf.data.TFRecordDataset} reads, and TensorBoard's event files are made of.
 */
public final class TfRecords {
  private static final int MASK_DELTA = 0xa282ead8;

  private TfRecords() {}

  /** TFRecord's masked CRC-32C: rotate right by 15 bits, add a constant. */
  public static int maskedCrc32c(byte[] data, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(data, off, len);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  /** One record framed: length, its CRC, {@code data}, the data's CRC (16 + data.length bytes). */
  public static byte[] frame(byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(16 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(data.length);
    b.putInt(maskedCrc32c(b.array(), 0, 8));
    b.put(data);
    b.putInt(maskedCrc32c(data, 0, data.length));
    return b.array();
  }

  public static byte[] encode(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] r : records) {
      out.writeBytes(frame(r));
    }
    return out.toByteArray();
  }

  /** Writes {@code records} to {@code file} atomically. */
  public static void write(Path file, List<byte[]> records) throws IOException {
    AtomicFiles.write(file, encode(records));
  }

  /** Reads every record, checking both CRCs of each. */
  public static List<byte[]> read(Path file) throws IOException {
    List<byte[]> records = new ArrayList<>();
    try (Reader r = new Reader(file)) {
      for (byte[] data = r.next(); data != null; data = r.next()) {
        records.add(data);
      }
    }
    return records;
  }

  /** Streams a file's records one at a time, checking both CRCs of each: only the current record is held. */
  public static final class Reader implements Closeable {
    private final Path file;
    private final InputStream in;
    private long offset;
    private long records;

    public Reader(Path file) throws IOException {
      this.file = file;
      this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    }

    /** How many records were read so far: the 1-based number of the last one returned. */
    public long records() {
      return records;
    }

    /** The next record's data, or null at the end of the file. */
    public byte[] next() throws IOException {
      long at = offset;
      byte[] head = in.readNBytes(12);
      if (head.length == 0) {
        return null;
      }
      if (head.length < 12) {
        throw new IOException(file + ": truncated record header at byte " + at);
      }
      ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
      long len = b.getLong();
      if (b.getInt() != maskedCrc32c(head, 0, 8)) {
        throw new IOException(file + ": bad length CRC at byte " + at);
      }
      if (len < 0 || len > Integer.MAX_VALUE - 8) {
        throw new IOException(file + ": record at byte " + at + " claims " + len + " bytes");
      }
      byte[] data = in.readNBytes((int) len);
      byte[] crc = in.readNBytes(4);
      if (data.length < len || crc.length < 4) {
        throw new IOException(file + ": record at byte " + at + " claims " + len + " bytes; the file is shorter");
      }
      if (ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt() != maskedCrc32c(data, 0, data.length)) {
        throw new IOException(file + ": bad data CRC in the record at byte " + at);
      }
      offset += 16 + len;
      records++;
      return data;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
