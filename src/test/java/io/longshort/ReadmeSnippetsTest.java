package io.longshort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java snippets compile against the current API. Every {@code ```java} block is
 * preceded by a marker that names the variables it takes from the text around it, e.g.
 * {@code <!-- java: given AttentionSpec spec, int[] ids -->} (or {@code <!-- java -->} for none);
 * the block becomes the body of a method with those parameters, in a class that imports the
 * project's packages and TensorFlow Java's. javac's errors are reported at README lines.
 */
class ReadmeSnippetsTest {
  private static final Pattern BLOCK =
      Pattern.compile("(?:<!-- java(?:: given ([^\\n]*?))? -->\\n)?```java\\n(.*?)```", Pattern.DOTALL);
  private static final List<String> IMPORTS = List.of(
      "io.longshort.spec", "io.longshort.graph.core", "io.longshort.graph.attention", "io.longshort.graph.model",
      "io.longshort.graph.decode", "io.longshort.graph.vision", "io.longshort.compile", "io.longshort.train",
      "io.longshort.export", "io.longshort.weights", "io.longshort.data",
      "org.tensorflow", "org.tensorflow.op", "org.tensorflow.op.core", "org.tensorflow.types",
      "org.tensorflow.ndarray", "java.util", "java.nio.file");
  /** Names two of the packages above share: the README means these. */
  private static final List<String> SINGLE_IMPORTS = List.of("org.tensorflow.ndarray.Shape");

  @TempDir
  Path out;

  /** A snippet's source: the README line its code starts at and the class around it. */
  record Snippet(int firstLine, String className, String source, int bodyOffset) {}

  @Test
  void everyJavaBlockCompiles() throws IOException {
    Path readme = Path.of("README.md");
    String text = Files.readString(readme);
    List<Snippet> snippets = snippets(text);
    long blocks = text.lines().filter(l -> l.equals("```java")).count();
    assertEquals(blocks, snippets.size(), "every ```java block is compiled");
    assertTrue(snippets.size() >= 5, "the README shows the DSL, models, weights and vision in Java");

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<JavaFileObject> files = new ArrayList<>();
    for (Snippet s : snippets) {
      files.add(new SimpleJavaFileObject(URI.create("string:///" + s.className() + ".java"),
          JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return s.source();
        }
      });
    }
    List<String> options = List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path"),
        "-proc:none", "-Xlint:none");
    boolean ok = javac.getTask(new StringWriter(), null, diagnostics, options, null, files).call();
    StringBuilder errors = new StringBuilder();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) {
        continue;
      }
      Snippet s = snippets.stream().filter(x -> d.getSource().toUri().getPath().endsWith(x.className() + ".java"))
          .findFirst().orElseThrow();
      long line = s.firstLine() + d.getLineNumber() - 1 - s.bodyOffset();
      errors.append("README.md:").append(line).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
    }
    assertTrue(ok && errors.length() == 0, "README snippets do not compile:\n" + errors);
  }

  static List<Snippet> snippets(String text) {
    List<Snippet> result = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      if (!text.startsWith("<!-- java", m.start())) {
        throw new AssertionError("README.md:" + lineOf(text, m.start()) + ": a ```java block without a"
            + " <!-- java --> or <!-- java: given TYPE NAME, ... --> marker");
      }
      String given = m.group(1) == null ? "" : m.group(1).trim();
      String name = "ReadmeSnippet" + result.size();
      StringBuilder src = new StringBuilder();
      IMPORTS.forEach(p -> src.append("import ").append(p).append(".*;\n"));
      SINGLE_IMPORTS.forEach(c -> src.append("import ").append(c).append(";\n"));
      src.append("@SuppressWarnings(\"all\") class ").append(name).append(" {\n")
          .append("  void run(").append(given).append(") throws Exception {\n");
      int bodyOffset = IMPORTS.size() + SINGLE_IMPORTS.size() + 2;
      src.append(m.group(2)).append("  }\n}\n");
      result.add(new Snippet(lineOf(text, m.start(2)), name, src.toString(), bodyOffset));
    }
    return result;
  }

  private static int lineOf(String text, int offset) {
    return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
  }
}
