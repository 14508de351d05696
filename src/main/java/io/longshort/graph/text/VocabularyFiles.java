package io.longshort.graph.text;

import io.longshort.data.TextTokenizer;
import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/** Writes a tokenizer's table file, the asset {@link TextEncoderGraph} initialises its table from. */
public final class VocabularyFiles {
  private VocabularyFiles() {}

  /**
   * Writes the file (atomically; one line per entry, each ended by a newline as
   * InitializeTableFromTextFileV2 reads it); returns false, writing nothing, when the tokenizer needs none.
   */
  public static boolean write(TextTokenizer tokenizer, Path file) throws IOException {
    if (tokenizer.vocabularyLines().isEmpty()) {
      return false;
    }
    StringBuilder sb = new StringBuilder();
    for (String line : tokenizer.vocabularyLines()) {
      sb.append(line).append('\n');
    }
    AtomicFiles.writeString(file, sb.toString());
    return true;
  }
}
