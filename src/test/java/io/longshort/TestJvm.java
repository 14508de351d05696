package io.longshort;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM a test launches (a training to kill, a fresh JVM that loads an export,
 * a cluster's worker): this JVM's {@code java} and class path, {@link #OPTIONS}, the test's own
 * options, the main class and its arguments.
 */
public final class TestJvm {
  /**
   * The C1 compiler only and the serial collector. A launched JVM lives seconds, and its time goes
   * to start-up, graph building and TensorFlow's native code: C2's compiler threads and G1's
   * concurrent threads took about a quarter of a 2-step {@code train}'s CPU time (user + sys, 3
   * interleaved rounds on 2 cores: 11.0 s with the defaults, 8.4 s with these) and made nothing it
   * runs faster. Neither changes what the process computes.
   */
  public static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private TestJvm() {}

  /** {@code java OPTIONS jvmOptions -cp <this class path> main args}. */
  public static List<String> command(List<String> jvmOptions, Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(OPTIONS);
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(args);
    return cmd;
  }

  /** {@link #command(List, Class, List)} without JVM options of the test's own. */
  public static List<String> command(Class<?> main, String... args) {
    return command(List.of(), main, List.of(args));
  }
}
