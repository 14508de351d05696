package io.longshort.graph.model;

import io.longshort.data.TextTokenizer;
import io.longshort.spec.Task;
import org.tensorflow.types.family.TFloating;

/**
 * A servable model that reads token ids: what export needs to add text signatures (strings in, the
 * model's tokenizer run in the graph) beside its id signatures. Our token models ({@link ModelGraph})
 * and the authors' LM ({@link TransformerLsServingModel}) are both.
 */
public interface TokenServable<T extends TFloating> extends ServableModel<T> {
  /** Classifier, retrieval or language model: which text signatures it gets. */
  Task task();

  /** The classes a classifier or retrieval model answers with (language models: 0). */
  int classes();

  /**
   * The tokenizer its ids come from, the one definition Java encodes with; null when the family has
   * none (a custom vocabulary): then no text signatures.
   */
  TextTokenizer tokenizer();

  /** N, the tokens of a row the id signatures take (the authors' LM: its capacity C). */
  int length();

  /** The longest sequence the model has positions for. */
  int maxLength();

  /** The largest max_new_tokens the generate signature accepts (language models). */
  int maxNewTokensCap();

  /** The rows a request must have: -1 for any number, else the graph's static batch. */
  default int requestRows() {
    return -1;
  }

  /** A language model's next-token predictions: which signature, input and output give them. */
  Scoring scoring();

  /**
   * Where a language model's predictions come from: signature {@code signature} takes the ids (B, N)
   * int32 as input {@code input}; its output {@code output} is either the logits (B, N, V) of the
   * token after each position ({@code logits}), or the log-probability (B, N) of each token given
   * those before it, 0 at the first ({@code !logits}).
   */
  record Scoring(String signature, String input, String output, boolean logits) {}
}
