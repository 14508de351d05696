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
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java snippets of README.md and docs/*.md compile against the current API. Every
 * {@code ```java} block is preceded by a marker that names the variables it takes from the text
 * around it, e.g. {@code <!-- java: given AttentionSpec spec, int[] ids -->} (or
 * {@code <!-- java -->} for none); the block becomes the body of a method with those parameters, in
 * a class that imports the project's packages and TensorFlow Java's. javac's errors are reported at
 * the file's lines.
 *
 * <p>Blocks marked {@code <!-- java front-door ... -->} use the front-door API ({@code Model},
 * {@code Trainer.builder}, {@code Dataset}); they compile in a test of their own.
 */
class ReadmeSnippetsTest {
  private static final Pattern BLOCK = Pattern.compile(
      "(?:<!-- java( front-door)?(?:: given ([^\\n]*?))? -->\\n)?```java\\n(.*?)```", Pattern.DOTALL);
  private static final List<String> IMPORTS = List.of(
      "io.longshort.spec", "io.longshort.graph.core", "io.longshort.graph.attention", "io.longshort.graph.model",
      "io.longshort.graph.decode", "io.longshort.graph.vision", "io.longshort.compile", "io.longshort.train",
      "io.longshort.export", "io.longshort.weights", "io.longshort.data",
      "org.tensorflow", "org.tensorflow.op", "org.tensorflow.op.core", "org.tensorflow.types",
      "org.tensorflow.ndarray", "java.util", "java.nio.file");
  /**
   * Names two of the packages above share: the docs mean these (graph.core's Pooling layer;
   * spec.Pooling is a ModelSpec option).
   */
  private static final List<String> SINGLE_IMPORTS = List.of("org.tensorflow.ndarray.Shape",
      "io.longshort.graph.core.Pooling");

  @TempDir
  Path out;

  /** A snippet's source: the file and line its code starts at and the class around it. */
  record Snippet(String file, int firstLine, boolean frontDoor, String className, String source, int bodyOffset) {}

  /** README.md and every guide under docs/, in a fixed order. */
  static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(Path.of("README.md"));
    try (Stream<Path> files = Files.list(Path.of("docs"))) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  static List<Snippet> allSnippets() throws IOException {
    List<Snippet> all = new ArrayList<>();
    for (Path doc : documents()) {
      String text = Files.readString(doc);
      List<Snippet> snippets = snippets(doc.toString(), text, all.size());
      long blocks = text.lines().filter(l -> l.equals("```java")).count();
      assertEquals(blocks, snippets.size(), doc + ": every ```java block is compiled");
      all.addAll(snippets);
    }
    return all;
  }

  @Test
  void everyJavaBlockCompiles() throws IOException {
    List<Snippet> snippets = allSnippets().stream().filter(s -> !s.frontDoor()).toList();
    assertTrue(snippets.size() >= 8, "the docs show the DSL, models, weights, vision and the LM in Java: "
        + snippets.size());
    compile(snippets);
  }

  @Test
  void everyFrontDoorBlockCompiles() throws IOException {
    List<Snippet> snippets = allSnippets().stream().filter(Snippet::frontDoor).toList();
    assertTrue(snippets.size() >= 3, "the README and getting-started show the front door: " + snippets.size());
    compile(snippets);
  }

  private void compile(List<Snippet> snippets) {
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
      Snippet s = snippets.stream().filter(x -> d.getSource().toUri().getPath().endsWith("/" + x.className() + ".java"))
          .findFirst().orElseThrow();
      long line = s.firstLine() + d.getLineNumber() - 1 - s.bodyOffset();
      errors.append(s.file()).append(':').append(line).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
    }
    assertTrue(ok && errors.length() == 0, "doc snippets do not compile:\n" + errors);
  }

  static List<Snippet> snippets(String file, String text, int firstIndex) {
    List<Snippet> result = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      if (!text.startsWith("<!-- java", m.start())) {
        throw new AssertionError(file + ":" + lineOf(text, m.start()) + ": a ```java block without a"
            + " <!-- java --> or <!-- java: given TYPE NAME, ... --> marker");
      }
      boolean frontDoor = m.group(1) != null;
      String given = m.group(2) == null ? "" : m.group(2).trim();
      String name = "DocSnippet" + (firstIndex + result.size());
      StringBuilder src = new StringBuilder();
      IMPORTS.forEach(p -> src.append("import ").append(p).append(".*;\n"));
      SINGLE_IMPORTS.forEach(c -> src.append("import ").append(c).append(";\n"));
      src.append("@SuppressWarnings(\"all\") class ").append(name).append(" {\n")
          .append("  void run(").append(given).append(") throws Exception {\n");
      int bodyOffset = IMPORTS.size() + SINGLE_IMPORTS.size() + 2;
      src.append(m.group(3)).append("  }\n}\n");
      result.add(new Snippet(file, lineOf(text, m.start(3)), frontDoor, name, src.toString(), bodyOffset));
    }
    return result;
  }

  private static int lineOf(String text, int offset) {
    return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
  }
}
