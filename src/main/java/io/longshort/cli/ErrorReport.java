package io.longshort.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.longshort.spec.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * The CLI's one error path: any exception a command throws becomes one line, {@code error: <what
 * failed>: <why>}, and an exit status: {@link #BAD_INPUT} (2) for input or an environment we were
 * given (a bad option, spec or file, a full disk), {@link #OUR_FAILURE} (1) for a failure of ours
 * (a bug, or memory our size checks did not foresee). The trace is printed only when asked for
 * ({@code --debug} anywhere on the command line, or {@code LONGSHORT_DEBUG=1}). Foreign messages
 * are translated: Jackson's (which quote their source as "REDACTED"), the file system's (whose
 * NoSuchFileException message is the bare path), TensorFlow's (several lines of graph context).
 */
final class ErrorReport {
  static final int BAD_INPUT = 2;
  static final int OUR_FAILURE = 1;
  static final String DEBUG_OPTION = "--debug";
  static final String DEBUG_ENV = "LONGSHORT_DEBUG";

  private ErrorReport() {}

  /** The line and the status for {@code e}. */
  record Report(String line, int status) {}

  static Report of(Throwable e) {
    Throwable t = unwrap(e);
    if (t instanceof OutOfMemoryError) {
      return new Report("error: out of memory (the JVM's max heap is " + Runtime.getRuntime().maxMemory() / (1 << 20)
          + " MiB): the sizes given need more than that, and the size checks did not foresee it; give smaller"
          + " sizes, or more heap with JAVA_OPTS=-Xmx...", OUR_FAILURE);
    }
    if (t instanceof TFInvalidArgumentException) { // an IllegalArgumentException with TF's node lines after it
      return new Report("error: TensorFlow refused an input: " + firstLine(t.getMessage()), BAD_INPUT);
    }
    if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
        || t instanceof io.longshort.train.TrainingDivergedException) {
      // a diverged run is its settings' doing (--lr 1e30), said with the way out
      return new Report("error: " + message(t), BAD_INPUT);
    }
    if (t instanceof JsonProcessingException j) {
      return new Report("error: not valid JSON: " + Json.describe(j), BAD_INPUT);
    }
    if (t instanceof IOException io) {
      return new Report("error: " + ioMessage(io), BAD_INPUT);
    }
    if (t instanceof TFResourceExhaustedException) {
      return new Report("error: TensorFlow ran out of memory: " + firstLine(t.getMessage())
          + "; give smaller sizes (batch, length, capacity)", OUR_FAILURE);
    }
    if (t instanceof TensorFlowException) {
      return new Report("error: TensorFlow failed: " + firstLine(t.getMessage()), OUR_FAILURE);
    }
    return new Report("error: internal error (" + t.getClass().getSimpleName()
        + (t.getMessage() == null ? "" : ": " + firstLine(t.getMessage())) + "); rerun with " + DEBUG_OPTION
        + " for the trace and report it", OUR_FAILURE);
  }

  /** Prints {@code e}'s line (and its trace when debugging) to {@code err}; returns the exit status. */
  static int print(Throwable e, PrintWriter err, boolean debug) {
    Report r = of(e);
    err.println(r.line());
    if (debug) {
      e.printStackTrace(err);
    }
    err.flush();
    return r.status();
  }

  /** Whether the trace was asked for by the environment. */
  static boolean debugFromEnvironment() {
    String v = System.getenv(DEBUG_ENV);
    return v != null && !v.isEmpty() && !v.equals("0") && !v.equalsIgnoreCase("false");
  }

  /** The exception that says what happened: wrappers without their own words are looked through. */
  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t
        && (t instanceof UncheckedIOException || t instanceof java.util.concurrent.ExecutionException
            || t instanceof java.lang.reflect.InvocationTargetException
            || (t.getMessage() == null && !(t instanceof Error)))) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable t) {
    if (t.getMessage() != null && !t.getMessage().isBlank()) {
      return t.getMessage();
    }
    return t.getCause() != null && t.getCause().getMessage() != null ? t.getCause().getMessage()
        : t.getClass().getSimpleName();
  }

  /** A file system error as {@code <file>: <reason>} (the JDK's NoSuchFileException message is the bare path). */
  static String ioMessage(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() == null && f.getFile() != null) {
      String reason = f instanceof NoSuchFileException ? "no such file or folder"
          : f instanceof AccessDeniedException ? "permission denied"
          : f instanceof FileAlreadyExistsException ? "already exists"
          : f instanceof NotDirectoryException ? "not a folder"
          : f instanceof DirectoryNotEmptyException ? "folder not empty"
          : "file system error";
      return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason;
    }
    if (e instanceof FileSystemException f && f.getFile() != null) {
      return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + f.getReason();
    }
    if (e.getCause() instanceof JsonProcessingException j && e.getMessage() == null) {
      return "not valid JSON: " + Json.describe(j);
    }
    return message(e);
  }

  private static String firstLine(String m) {
    if (m == null) {
      return "";
    }
    return m.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
  }
}
