package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.longshort.spec.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code generate}: one JSON line per row with the new bytes; greedy rows of the same prompt agree,
 * the output file holds the same lines, and a prompt too long for the capacity is refused clearly.
 */
class GenerateCommandTest {
  @TempDir
  Path dir;

  @Test
  void greedyRowsAgreeAndTooLongPromptsAreRefused() throws Exception {
    Path spec = dir.resolve("lm.json");
    Files.writeString(spec, """
        {"task":"language_model","vocabSize":256,"maxLength":24,"width":8,"layers":1,"hiddenWidth":16,
         "attention":{"kind":"causal_long_short","width":8,"heads":2,"window":4,"segment":3,"rank":1},
         "positions":"learned","pooling":"none"}
        """);
    Path file = dir.resolve("gen.jsonl");
    String[] out = new String[2];
    assertEquals(0, run(out, "generate", "--spec", spec.toString(), "--prompt", "ab", "--samples", "2",
        "--max-new", "6", "--temperature", "0", "--out", file.toString()), out[1]);
    List<String> lines = out[0].lines().toList();
    assertEquals(2, lines.size(), out[0]);
    JsonNode a = Json.MAPPER.readTree(lines.get(0));
    JsonNode b = Json.MAPPER.readTree(lines.get(1));
    assertEquals("ab", a.get("prompt").asText());
    assertEquals(a.get("text").asText(), b.get("text").asText(), "greedy rows of one prompt agree");
    assertEquals(7, a.get("steps").asInt(), "positions 0 .. 2 + 6 - 2 fed");
    assertEquals(lines, Files.readAllLines(file));

    assertEquals(2, run(out, "generate", "--spec", spec.toString(), "--prompt", "abcdefghij", "--max-new", "20"));
    assertTrue(out[1].contains("exceed the capacity (24 positions)"), out[1]);
  }

  @Test
  void badSamplingValuesAreRefusedAndPromptBytesStayBytes() throws Exception {
    Path spec = dir.resolve("lm.json");
    Files.writeString(spec, """
        {"task":"language_model","vocabSize":256,"maxLength":24,"width":8,"layers":1,"hiddenWidth":16,
         "attention":{"kind":"causal_long_short","width":8,"heads":2,"window":4,"segment":3,"rank":1},
         "positions":"learned","pooling":"none"}
        """);
    String[][] bad = {
        {"--temperature", "-0.5", "error: --temperature (-0.5) must be a finite number >= 0"},
        {"--temperature", "nan", "error: --temperature (NaN) must be a finite number >= 0"},
        {"--temperature", "NaN", "error: --temperature (NaN) must be a finite number >= 0"},
        {"--top-k", "-1", "error: --top-k (-1) must be >= 0"},
        {"--prompt-hex", "6g", "error: --prompt-hex (6g) is not hexadecimal bytes (pairs of 0-9, a-f)"},
        {"--prompt", "a\uFFFDb", "error: --prompt (a\uFFFDb) holds U+FFFD at character 1: a byte that is not UTF-8"
            + " arrives so; give the bytes with --prompt-hex or --prompt-file"},
    };
    String[] out = new String[2];
    for (String[] c : bad) {
      assertEquals(2, run(out, "generate", "--spec", spec.toString(), c[0], c[1], "--max-new", "2"), out[0]);
      assertEquals(c[2], out[1].strip());
    }
    // 3 bytes, one of them not UTF-8: fed as 3 bytes (steps = 3 + 4 - 1), given as hex or as a file
    Path file = Files.write(dir.resolve("prompt.bin"), new byte[] {'a', (byte) 0xff, 'b'});
    assertEquals(0, run(out, "generate", "--spec", spec.toString(), "--prompt-hex", "61FF62", "--prompt-file",
        file.toString(), "--max-new", "4", "--temperature", "0"), out[1]);
    List<String> lines = out[0].lines().toList();
    assertEquals(2, lines.size(), out[0]);
    for (String line : lines) {
      JsonNode row = Json.MAPPER.readTree(line);
      assertEquals(6, row.get("steps").asInt(), line);
      assertEquals("61ff62", row.get("prompt_hex").asText(), line);
    }
    assertEquals(Json.MAPPER.readTree(lines.get(0)).get("text"), Json.MAPPER.readTree(lines.get(1)).get("text"));
  }

  private static int run(String[] out, String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    int rc = cli.execute(args);
    out[0] = o.toString();
    out[1] = e.toString();
    return rc;
  }
}
