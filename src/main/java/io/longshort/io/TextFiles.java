package io.longshort.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a text file a user named (a spec, a config, a request), failing with one line that names
 * the file and what is wrong with it: missing, a folder, or not UTF-8 text (where
 * {@link Files#readString} says only "Input length = 1").
 */
public final class TextFiles {
  private TextFiles() {}

  /** The UTF-8 text of {@code file}; {@code what} names it in messages (e.g. "spec file", "--request"). */
  public static String read(Path file, String what) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException(what + " " + file + ": is a folder, not a file");
    }
    if (!Files.exists(file)) {
      throw new IOException(what + " " + file + ": no such file");
    }
    return decode(Files.readAllBytes(file), what + " " + file);
  }

  /** {@code bytes} as UTF-8 text; bytes that are not UTF-8 fail naming {@code what} and the offset. */
  public static String decode(byte[] bytes, String what) throws IOException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException(what + ": not UTF-8 text (invalid byte at offset " + firstInvalid(bytes)
          + "; a binary file?)", e);
    }
  }

  /** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
  static int firstInvalid(byte[] bytes) {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    var out = java.nio.CharBuffer.allocate(bytes.length + 1);
    var result = decoder.decode(in, out, true);
    return result.isError() ? in.position() : bytes.length;
  }
}
