package io.longshort.graph.text;

import io.longshort.data.ByteTokenizer;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.ListOpsVocab;
import io.longshort.data.TextTokenizer;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.spec.TransformerLsSpec;

/** The tokenizer a model's spec implies, when its ids come from text in one of the shipped ways. */
public final class Tokenizers {
  private Tokenizers() {}

  /**
   * A token model's tokenizer, or null when it has none: ListOps-sized vocabularies (at most
   * {@link ListOpsVocab#VOCAB_SIZE}) read ListOps expressions, classifier and retrieval
   * vocabularies of 257 and more read bytes (id byte + 1), language models of vocabulary 256 bytes.
   */
  public static TextTokenizer of(ModelSpec spec) {
    if (spec.task() == Task.LANGUAGE_MODEL) {
      return spec.vocabSize() == 256 ? ByteTokenizer.LANGUAGE_MODEL : null;
    }
    if (spec.vocabSize() <= ListOpsVocab.VOCAB_SIZE) {
      return ListOpsTokenizer.INSTANCE;
    }
    return spec.vocabSize() >= 256 + ByteTokenizer.ID_OFFSET ? ByteTokenizer.INSTANCE : null;
  }

  /**
   * The authors' LM as train-lm trains it, reading each byte as its id: bytes when the vocabulary
   * holds every byte (256 or more), else null (an imported LM's ids come from its fairseq
   * dictionary: give its {@code io.longshort.data.FairseqTokenizer}).
   */
  public static TextTokenizer of(TransformerLsSpec spec) {
    return spec.vocabSize() >= 256 ? ByteTokenizer.LANGUAGE_MODEL : null;
  }
}
