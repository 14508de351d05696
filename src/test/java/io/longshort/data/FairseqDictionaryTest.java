package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fairseq ids of bytes: 4 specials, then dict.txt order; enwik8's byte numbers and text8's characters. */
class FairseqDictionaryTest {
  @Test
  void enwik8ByteNumbers(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("dict.txt");
    Files.writeString(f, "101 900\n32 800\n116 700\nmadeupword0000 0\n");
    FairseqDictionary d = FairseqDictionary.read(f);
    assertTrue(d.byteNumbers());
    assertEquals(8, d.size());
    int[] ids = d.idOfByte();
    assertEquals(4, ids['e']);
    assertEquals(5, ids[' ']);
    assertEquals(6, ids['t']);
    assertEquals(FairseqDictionary.EOS, ids['\n']);
    assertEquals(FairseqDictionary.UNK, ids['x']);
    assertEquals('t', d.byteOfId()[6]);
    assertEquals('\n', d.byteOfId()[2]);
    assertEquals(-1, d.byteOfId()[7]);
  }

  @Test
  void text8Characters(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("dict.txt");
    Files.writeString(f, "_ 1000\ne 900\na 800 #fairseq:overwrite\n");
    FairseqDictionary d = FairseqDictionary.read(f);
    assertFalse(d.byteNumbers());
    assertEquals(4, d.idOfByte()[' ']);
    assertEquals(5, d.idOfByte()['e']);
    assertEquals(6, d.idOfByte()['a']);
  }
}
