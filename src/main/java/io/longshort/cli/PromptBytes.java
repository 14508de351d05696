package io.longshort.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The bytes of generate's prompts, exactly as given: text (UTF-8), hexadecimal or a file. A
 * language model over bytes must see the bytes the user meant; the command line only hands Java
 * decoded text, in which a byte that is not UTF-8 has already become U+FFFD (3 bytes once
 * re-encoded), so such text is refused with the way out.
 */
final class PromptBytes {
  private static final char REPLACEMENT = '\uFFFD';

  private PromptBytes() {}

  /** One row per prompt: the --prompt rows, then --prompt-hex, then --prompt-file; a newline if none. */
  static List<byte[]> of(List<String> texts, List<String> hex, List<Path> files) throws IOException {
    List<byte[]> rows = new ArrayList<>();
    for (String t : texts == null ? List.<String>of() : texts) {
      if (t.indexOf(REPLACEMENT) >= 0) {
        throw new IllegalArgumentException("--prompt (" + t + ") holds U+FFFD at character " + t.indexOf(REPLACEMENT)
            + ": a byte that is not UTF-8 arrives so; give the bytes with --prompt-hex or --prompt-file");
      }
      rows.add(nonEmpty("--prompt", t, t.getBytes(StandardCharsets.UTF_8)));
    }
    for (String h : hex == null ? List.<String>of() : hex) {
      byte[] b;
      try {
        b = HexFormat.of().parseHex(h.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--prompt-hex (" + h + ") is not hexadecimal bytes (pairs of 0-9, a-f)");
      }
      rows.add(nonEmpty("--prompt-hex", h, b));
    }
    for (Path f : files == null ? List.<Path>of() : files) {
      if (Files.isDirectory(f)) {
        throw new IllegalArgumentException("--prompt-file (" + f + ") is a folder; give a file");
      }
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("--prompt-file (" + f + "): no such file");
      }
      rows.add(nonEmpty("--prompt-file", f, Files.readAllBytes(f)));
    }
    if (rows.isEmpty()) {
      rows.add(new byte[] {'\n'});
    }
    return rows;
  }

  private static byte[] nonEmpty(String option, Object value, byte[] bytes) {
    OptionChecks.require(bytes.length > 0, option, value, "must not be empty (the loop starts from its first byte)");
    return bytes;
  }

  static boolean isUtf8(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
