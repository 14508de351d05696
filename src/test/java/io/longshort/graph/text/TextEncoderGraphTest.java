package io.longshort.graph.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.ByteTokenizer;
import io.longshort.data.FairseqDictionary;
import io.longshort.data.FairseqTokenizer;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.TextTokenizer;
import io.longshort.data.TokenEncoding;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * The graph's encoding of strings equals the Java tokenizer's, exactly, for every family: ids, mask,
 * token counts and truncation, on the cases (empty, only invalid UTF-8, NUL bytes, 4-byte
 * characters, longer than N, whitespace-only ListOps).
 */
class TextEncoderGraphTest {
  private static final int N = 12;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static final byte[] EMPTY = new byte[0];
  private static final byte[] INVALID_UTF8 = {(byte) 0xFF, (byte) 0xFE, (byte) 0x80, (byte) 0xC3};
  private static final byte[] NULS = {'a', 0, 'b', 0, 0};
  private static final byte[] FOUR_BYTE = utf8("x\uD83D\uDE00y\uD800\uDF48"); // U+1F600, U+10348
  private static final byte[] LONG = utf8("the quick brown fox jumps over the lazy dog");
  private static final byte[] NEWLINES = utf8("a\nb \r\n");
  private static final byte[] EVERY_BYTE;

  static {
    EVERY_BYTE = new byte[256];
    for (int b = 0; b < 256; b++) {
      EVERY_BYTE[b] = (byte) b;
    }
  }

  @Test
  void byteLevelMatchesJava(@TempDir Path dir) throws Exception {
    assertSame(ByteTokenizer.INSTANCE, dir, List.of(EMPTY, INVALID_UTF8, NULS, FOUR_BYTE, LONG, NEWLINES, EVERY_BYTE), N);
    // N = 1 and a batch of one long row
    assertSame(ByteTokenizer.INSTANCE, dir, List.of(LONG), 1);
    // every byte value reaches its id: 256 bytes in one row of 256
    assertSame(ByteTokenizer.INSTANCE, dir, List.of(EVERY_BYTE), 256);
    // our byte LMs: ids = byte, padding 0 under mask 0 (a NUL byte is id 0 with mask 1)
    assertSame(ByteTokenizer.LANGUAGE_MODEL, dir, List.of(EMPTY, INVALID_UTF8, NULS, FOUR_BYTE, LONG, EVERY_BYTE), N);
    assertSame(ByteTokenizer.LANGUAGE_MODEL, dir, List.of(EVERY_BYTE), 256);
    assertArrayEquals(new int[] {'a', 0, 'b', 0, 0, 0}, ByteTokenizer.LANGUAGE_MODEL.encode(NULS, 6).ids());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 0}, ByteTokenizer.LANGUAGE_MODEL.encode(NULS, 6).mask());
    assertArrayEquals(new int[] {'a' + 1, 1, 'b' + 1, 1, 1, 0}, ByteTokenizer.INSTANCE.encode(NULS, 6).ids());
  }

  @Test
  void fairseqMatchesJava(@TempDir Path dir) throws Exception {
    Path dict = dir.resolve("dict.txt");
    // enwik8-style byte numbers: some bytes known, the rest <unk>, newline </s>
    Files.writeString(dict, "101 900\n32 800\n116 700\n0 600\n255 500\n240 400\nmadeupword0000 0\n");
    FairseqTokenizer t = new FairseqTokenizer(FairseqDictionary.read(dict));
    assertSame(t, dir, List.of(EMPTY, INVALID_UTF8, NULS, FOUR_BYTE, LONG, NEWLINES, EVERY_BYTE), N);
    assertSame(t, dir, List.of(EVERY_BYTE), 256);
    Path chars = dir.resolve("chars.txt");
    Files.writeString(chars, "_ 1000\ne 900\na 800\n");
    assertSame(new FairseqTokenizer(FairseqDictionary.read(chars)), dir, List.of(LONG, NEWLINES, EMPTY), N);
  }

  @Test
  void listOpsMatchesJava(@TempDir Path dir) throws Exception {
    List<byte[]> cases = List.of(
        EMPTY,
        utf8("   \t \r\n "), // whitespace only: no tokens
        utf8("[MAX 2 9 [MIN 4 7 ] 0 ]"),
        utf8("( ( ( [MAX 2 ) 9 ) ] )"), // the LRA file form
        utf8("[SM 1 2]]"), // ']' touching its neighbour
        utf8("[MED 1 2 3 4 5 6 7 8 9 0 1 2 3 ]"), // 15 tokens > N
        utf8("(([MIN(3)(4)]))"),
        utf8("\t[MAX\t5\r\n6 ]\n"));
    assertSame(ListOpsTokenizer.INSTANCE, dir, cases, N);
  }

  @Test
  void listOpsUnknownTokensRefusedByBoth(@TempDir Path dir) throws Exception {
    List<byte[]> bad = List.of(INVALID_UTF8, NULS, FOUR_BYTE, utf8("[MAX 2 x ]"), utf8("[MAX 2\u000b3 ]"),
        utf8("[MAX 2\f3 ]"), utf8("[ MAX 1 ]"));
    for (byte[] text : bad) {
      assertThrows(IllegalArgumentException.class, () -> ListOpsTokenizer.INSTANCE.encode(text, N));
      Exception e = assertThrows(Exception.class, () -> graphEncode(ListOpsTokenizer.INSTANCE, dir, List.of(text), N));
      assertTrue(e.getMessage().contains("unknown ListOps token"), e.getMessage());
    }
  }

  @Test
  void listOpsTableFileHasOneLinePerId() {
    List<String> lines = ListOpsTokenizer.INSTANCE.vocabularyLines();
    assertEquals(18, lines.size());
    assertEquals("0", lines.get(1));
    assertEquals("9", lines.get(10));
    assertEquals("[MIN", lines.get(11));
    assertEquals("[SM", lines.get(14));
    assertEquals("]", lines.get(15));
    for (int id : new int[] {0, 16, 17}) {
      assertTrue(lines.get(id).startsWith(" "), lines.get(id));
    }
  }

  private static void assertSame(TextTokenizer t, Path dir, List<byte[]> texts, int n) throws Exception {
    List<TokenEncoding> graph = graphEncode(t, dir, texts, n);
    for (int i = 0; i < texts.size(); i++) {
      TokenEncoding java = t.encode(texts.get(i), n);
      TokenEncoding g = graph.get(i);
      String row = "row " + i + " of " + t.getClass().getSimpleName();
      assertArrayEquals(java.ids(), g.ids(), row + " ids");
      assertArrayEquals(java.mask(), g.mask(), row + " mask");
      assertEquals(java.tokens(), g.tokens(), row + " tokens");
      assertEquals(java.truncated(), g.truncated(), row + " truncated");
    }
  }

  /** Runs the graph encoder on the texts (one batch) and reads its rows back. */
  static List<TokenEncoding> graphEncode(TextTokenizer t, Path dir, List<byte[]> texts, int n) throws Exception {
    Path vocab = dir.resolve("vocab.txt");
    VocabularyFiles.write(t, vocab);
    try (Graph g = new Graph(); Session s = new Session(g);
        TString in = TString.tensorOfBytes(NdArrays.vectorOfObjects(texts.toArray(new byte[0][])))) {
      Ops tf = Ops.create(g);
      Placeholder<TString> strings = tf.withName("text").placeholder(TString.class);
      TextEncoding enc = TextEncoderGraph.build(tf.withSubScope("encode"), t, strings, n, vocab.toString());
      if (enc.tableInitializer() != null) {
        s.runner().addTarget(enc.tableInitializer()).run().close();
      }
      try (Result r = s.runner().feed(strings, in).fetch(enc.ids()).fetch(enc.mask()).fetch(enc.tokens())
          .fetch(enc.truncated()).run()) {
        TInt32 ids = (TInt32) r.get(0);
        TInt32 mask = (TInt32) r.get(1);
        TInt32 tokens = (TInt32) r.get(2);
        TInt32 truncated = (TInt32) r.get(3);
        assertEquals(texts.size(), ids.shape().get(0));
        assertEquals(n, ids.shape().get(1));
        List<TokenEncoding> out = new ArrayList<>();
        for (int b = 0; b < texts.size(); b++) {
          int[] rowIds = new int[n];
          int[] rowMask = new int[n];
          for (int p = 0; p < n; p++) {
            rowIds[p] = ids.getInt(b, p);
            rowMask[p] = mask.getInt(b, p);
          }
          out.add(new TokenEncoding(rowIds, rowMask, tokens.getInt(b), truncated.getInt(b)));
        }
        return out;
      }
    }
  }
}
