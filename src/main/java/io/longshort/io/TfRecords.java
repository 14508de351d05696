package io.longshort.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[]> records = new ArrayList<>();
    while (b.hasRemaining()) {
      int at = b.position();
      if (b.remaining() < 12) {
        throw new IOException(file + ": truncated record header at byte " + at);
      }
      long len = b.getLong();
      int lenCrc = b.getInt();
      if (lenCrc != maskedCrc32c(all, at, 8)) {
        throw new IOException(file + ": bad length CRC at byte " + at);
      }
      if (len < 0 || len > b.remaining() - 4) {
        throw new IOException(file + ": record at byte " + at + " claims " + len + " bytes; the file is shorter");
      }
      byte[] data = new byte[(int) len];
      b.get(data);
      if (b.getInt() != maskedCrc32c(data, 0, data.length)) {
        throw new IOException(file + ": bad data CRC in the record at byte " + at);
      }
      records.add(data);
    }
    return records;
  }
}
