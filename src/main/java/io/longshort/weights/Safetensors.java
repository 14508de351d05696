package io.longshort.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range, then the raw little-endian data. Hand-rolled because
 * the format is 30 lines of spec and no maintained Java reader exists on Maven Central; the header
 * is parsed with Jackson and checked as the reference implementation checks it
 * ({@link SafetensorsHeader}). Every inconsistency is an error naming the file and the tensor.
 */
public final class Safetensors implements AutoCloseable {
  /** Larger headers are not plausible and would only exhaust memory. */
  private static final long MAX_HEADER_BYTES = 100L << 20;

  private final Path file;
  private final FileChannel channel;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private Safetensors(Path file, FileChannel channel, Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  public static Safetensors open(Path file) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SafetensorsException(file, "no such file");
    }
    try {
      long fileSize = channel.size();
      if (fileSize < 8) {
        throw new SafetensorsException(file, "truncated: " + fileSize
            + " bytes, shorter than the 8-byte header length");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, len, 0);
      long headerBytes = len.flip().getLong();
      if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES) {
        throw new SafetensorsException(file, "bad header length " + headerBytes
            + " (allowed 2.." + MAX_HEADER_BYTES + "): not a safetensors file?");
      }
      if (8 + headerBytes > fileSize) {
        throw new SafetensorsException(file, "truncated: the header claims " + headerBytes
            + " bytes but the file has only " + (fileSize - 8) + " after the length");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerBytes);
      readFully(channel, header, 8);
      SafetensorsHeader parsed = SafetensorsHeader.parse(file, header.array(), 8 + headerBytes, fileSize);
      return new Safetensors(file, channel, parsed.tensors(), parsed.metadata());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  /** The header's {@code __metadata__} (string to string). */
  public Map<String, String> metadata() {
    return metadata;
  }

  public Set<String> names() {
    return tensors.keySet();
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public TensorInfo info(String name) throws SafetensorsException {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new SafetensorsException(file, "no tensor '" + name + "'" + suggestions(name));
    }
    return t;
  }

  /** Every value, widened to double (floating or integer dtypes). */
  public double[] readDoubles(String name) throws IOException {
    TensorInfo t = info(name);
    ByteBuffer b = readBytes(t);
    double[] out = new double[(int) t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (t.dtype()) {
        case F64 -> b.getDouble();
        case F32 -> b.getFloat();
        case F16 -> halfToFloat(b.getShort());
        case BF16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
        case I64 -> b.getLong();
        case I32 -> b.getInt();
        case I16 -> b.getShort();
        case I8 -> b.get();
        case U8 -> b.get() & 0xff;
        case BOOL -> b.get() != 0 ? 1 : 0;
      };
    }
    return out;
  }

  /** Every value of an integer (or bool) tensor as int, failing on values out of int range. */
  public int[] readInts(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.dtype().isFloating()) {
      throw new SafetensorsException(file, "tensor '" + name + "' has dtype " + t.dtype()
          + "; expected an integer dtype (I64, I32, I16, I8, U8, BOOL)");
    }
    double[] values = readDoubles(name);
    int[] out = new int[values.length];
    for (int i = 0; i < out.length; i++) {
      if (values[i] != (int) values[i]) {
        throw new SafetensorsException(file, "tensor '" + name + "' value " + (long) values[i]
            + " at index " + i + " does not fit in int32");
      }
      out[i] = (int) values[i];
    }
    return out;
  }

  /** Every value of an integer (or bool) tensor, exactly (an I64 beyond 2^53 does not survive a double). */
  public long[] readLongs(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.dtype().isFloating()) {
      throw new SafetensorsException(file, "tensor '" + name + "' has dtype " + t.dtype()
          + "; expected an integer dtype (I64, I32, I16, I8, U8, BOOL)");
    }
    ByteBuffer b = readBytes(t);
    long[] out = new long[(int) t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (t.dtype()) {
        case I64 -> b.getLong();
        case I32 -> b.getInt();
        case I16 -> b.getShort();
        case I8 -> b.get();
        case U8 -> b.get() & 0xff;
        case BOOL -> b.get() != 0 ? 1 : 0;
        default -> throw new IllegalStateException("floating dtype " + t.dtype());
      };
    }
    return out;
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat arrives only in Java 20). */
  static float halfToFloat(short bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float value = mantissa * 0x1p-24f;
      return sign != 0 ? -value : value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  private ByteBuffer readBytes(TensorInfo t) throws IOException {
    if (t.end() - t.begin() > Integer.MAX_VALUE - 8) {
      throw new SafetensorsException(file, "tensor '" + t.name() + "' has " + (t.end() - t.begin())
          + " bytes, more than one Java array holds (2 GiB)");
    }
    ByteBuffer b = ByteBuffer.allocate((int) (t.end() - t.begin())).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, b, t.begin());
    return b.flip();
  }

  private String suggestions(String name) {
    String leaf = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
    TreeMap<String, TensorInfo> similar = new TreeMap<>();
    tensors.forEach((n, t) -> {
      if (n.endsWith(leaf)) {
        similar.put(n, t);
      }
    });
    if (!similar.isEmpty()) {
      return "; tensors ending in '" + leaf + "': " + String.join(", ", similar.keySet().stream().limit(8).toList());
    }
    return "; it has " + tensors.size() + " tensors: "
        + String.join(", ", tensors.keySet().stream().limit(8).toList()) + (tensors.size() > 8 ? ", ..." : "");
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
    long pos = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
