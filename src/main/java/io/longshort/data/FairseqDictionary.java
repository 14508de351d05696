package io.longshort.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The token ids of a fairseq model: the 4 special symbols ({@code <s>} 0, {@code <pad>} 1,
 * {@code </s>} 2, {@code <unk>} 3), then the symbols of the {@code dict.txt} that
 * {@code fairseq-preprocess} wrote, in its order (padding symbols {@code madeupwordNNNN} included).
 *
 * <p>How bytes become symbols follows the authors' data preparation: enwik8
 * ({@code prep_enwik8.py}) writes each byte as its decimal number, text8 ({@code prep_text8.py})
 * each character with the space as {@code _}; in both a newline ends the line, which fairseq reads
 * as {@code </s>}. The dictionary's symbols tell which of the two it is: all decimal numbers
 * 0..255 (enwik8), or not (characters).
 */
public final class FairseqDictionary {
  public static final int BOS = 0;
  public static final int PAD = 1;
  public static final int EOS = 2;
  public static final int UNK = 3;
  private static final int SPECIALS = 4;

  private final List<String> symbols;
  private final boolean byteNumbers;
  private final Map<String, Integer> ids = new HashMap<>();

  private FairseqDictionary(List<String> symbols) {
    this.symbols = List.copyOf(symbols);
    for (int i = 0; i < symbols.size(); i++) {
      ids.putIfAbsent(symbols.get(i), SPECIALS + i);
    }
    byteNumbers = symbols.stream().filter(s -> !s.startsWith("madeupword")).allMatch(s -> s.matches("\\d{1,3}")
        && Integer.parseInt(s) <= 255);
  }

  /** Reads a dict.txt: one {@code <symbol> <count>} per line (an optional {@code #fairseq:overwrite} after). */
  public static FairseqDictionary read(Path file) throws IOException {
    List<String> symbols = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      String l = line.endsWith(" #fairseq:overwrite") ? line.substring(0, line.length() - 19) : line;
      int space = l.lastIndexOf(' ');
      if (space <= 0 || !l.substring(space + 1).matches("\\d+")) {
        throw new IOException(file + " line " + lineNo + ": expected '<symbol> <count>', got '" + line + "'");
      }
      symbols.add(l.substring(0, space));
    }
    if (symbols.isEmpty()) {
      throw new IOException(file + ": no symbols");
    }
    return new FairseqDictionary(symbols);
  }

  /** The model's vocabulary size: 4 special symbols and the file's. */
  public int size() {
    return SPECIALS + symbols.size();
  }

  /** Whether the symbols are byte numbers (enwik8) rather than characters (text8). */
  public boolean byteNumbers() {
    return byteNumbers;
  }

  /** The symbol a byte is written as in the preprocessed text; null for the newline (it ends a line). */
  private String symbolOf(int b) {
    if (b == '\n') {
      return null;
    }
    if (byteNumbers) {
      return Integer.toString(b);
    }
    return b == ' ' ? "_" : String.valueOf((char) b);
  }

  /** The id of each byte value: the newline is {@code </s>}, a byte the dictionary lacks {@code <unk>}. */
  public int[] idOfByte() {
    int[] out = new int[256];
    for (int b = 0; b < 256; b++) {
      String s = symbolOf(b);
      out[b] = s == null ? EOS : ids.getOrDefault(s, UNK);
    }
    return out;
  }

  /** The byte of each id, -1 where none (specials other than {@code </s>}, padding symbols). */
  public int[] byteOfId() {
    int[] out = new int[size()];
    Arrays.fill(out, -1);
    out[EOS] = '\n';
    int[] idOf = idOfByte();
    for (int b = 0; b < 256; b++) {
      if (idOf[b] >= SPECIALS && out[idOf[b]] < 0) {
        out[idOf[b]] = b;
      }
    }
    return out;
  }
}
