package io.longshort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs cannot rot unnoticed: every relative link of README.md, docs/*.md and bench/*&#47;README.md
 * names a file that exists (and, with {@code #anchor}, a heading of that Markdown file, by GitHub's
 * rule for heading anchors); every shell block marked {@code ```bash runnable} is valid bash, and
 * {@code tests/doc_commands.sh} (run by {@code .ci/run}) runs them all.
 */
class DocsLinksTest {
  /** [text](target) and ![alt](target); the target ends at the first space or closing parenthesis. */
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  /**
   * Guides another branch writes, linked before they land: a link to one passes while the file is
   * absent and is checked like any other (anchors included) once it exists. Remove an entry when
   * its branch is merged.
   */
  private static final Map<String, String> PENDING = Map.of("docs/serving.md", "branch textserve (issue 24) writes it");
  static final Pattern RUNNABLE = Pattern.compile("```bash runnable\\n(.*?)```", Pattern.DOTALL);

  /** README.md, docs/*.md and bench/*&#47;README.md. */
  static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>(ReadmeSnippetsTest.documents());
    try (Stream<Path> dirs = Files.list(Path.of("bench"))) {
      dirs.map(d -> d.resolve("README.md")).filter(Files::isRegularFile).sorted().forEach(docs::add);
    }
    return docs;
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    Map<Path, Set<String>> anchors = new HashMap<>();
    int links = 0;
    for (Path doc : documents()) {
      List<String> lines = proseLines(Files.readString(doc));
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = LINK.matcher(lines.get(i));
        while (m.find()) {
          String target = m.group(1);
          if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            continue; // https:, mailto:, ...: not ours to check here
          }
          links++;
          int hash = target.indexOf('#');
          String file = hash < 0 ? target : target.substring(0, hash);
          String anchor = hash < 0 ? null : target.substring(hash + 1);
          Path resolved = file.isEmpty() ? doc.toAbsolutePath() : doc.toAbsolutePath().getParent().resolve(file).normalize();
          String where = doc + ":" + (i + 1) + ": " + target;
          String relative = Path.of("").toAbsolutePath().relativize(resolved).toString();
          if (!Files.exists(resolved) && PENDING.containsKey(relative)) {
            continue;
          }
          if (!Files.exists(resolved)) {
            broken.add(where + " (no such file: " + relative + ")");
          } else if (anchor != null && resolved.toString().endsWith(".md")) {
            Set<String> known = anchors.computeIfAbsent(resolved, DocsLinksTest::anchorsOf);
            if (!known.contains(anchor)) {
              broken.add(where + " (no heading with anchor #" + anchor + " in " + file + ")");
            }
          }
        }
      }
    }
    assertTrue(links >= 50, "the docs link their guides and bench files: " + links);
    assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
  }

  @Test
  void anchorsFollowGitHubsRule() {
    assertEquals("close-the-clusters-network-first", anchor("Close the cluster's network first"));
    assertEquals("your-own-data-jsonl-csv-tfrecord", anchor("Your own data (JSONL, CSV, TFRecord)"));
    assertEquals("compiled-and-bf16-exports-inspect---tpu", anchor("Compiled and bf16 exports, `inspect --tpu`"));
  }

  @Test
  void everyRunnableShellBlockIsValidBash() throws IOException, InterruptedException {
    int blocks = 0;
    for (Path doc : documents()) {
      String text = Files.readString(doc);
      Matcher m = RUNNABLE.matcher(text);
      while (m.find()) {
        blocks++;
        Process p = new ProcessBuilder("bash", "-n").redirectErrorStream(true).start();
        p.getOutputStream().write(m.group(1).getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash -n ended");
        assertEquals(0, p.exitValue(), doc + ": a runnable block is not valid bash: " + output + "\n" + m.group(1));
      }
    }
    assertTrue(blocks >= 3, "the guides mark their quick commands runnable: " + blocks);
    assertTrue(Files.readString(Path.of(".ci/run")).contains("tests/doc_commands.sh"),
        ".ci/run runs the runnable blocks (tests/doc_commands.sh)");
  }

  /** The lines outside fenced code blocks (code may hold '#' comments and brackets). */
  static List<String> proseLines(String text) {
    List<String> prose = new ArrayList<>();
    boolean code = false;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("```")) {
        code = !code;
        prose.add("");
      } else {
        prose.add(code ? "" : line);
      }
    }
    return prose;
  }

  private static Set<String> anchorsOf(Path markdown) {
    try {
      Set<String> result = new LinkedHashSet<>();
      Map<String, Integer> seen = new HashMap<>();
      for (String line : proseLines(Files.readString(markdown))) {
        Matcher h = HEADING.matcher(line);
        if (h.matches()) {
          String a = anchor(h.group(1));
          int n = seen.merge(a, 1, Integer::sum) - 1;
          result.add(n == 0 ? a : a + "-" + n);
        }
      }
      return result;
    } catch (IOException e) {
      throw new IllegalStateException(markdown + ": " + e.getMessage(), e);
    }
  }

  /** GitHub's heading anchor: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
  static String anchor(String heading) {
    String text = heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "");
    return text.replace(' ', '-');
  }
}
