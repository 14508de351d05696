package io.longshort.graph.model;

import io.longshort.spec.ModelSpec;
import org.tensorflow.types.family.TFloating;

/**
 * A servable model of a {@link ModelSpec} that reads token ids: what export needs to add text
 * signatures (strings in, the spec's tokenizer run in the graph) beside its id signatures.
 */
public interface TokenServable<T extends TFloating> extends ServableModel<T> {
  /** The model's spec: its task, vocabulary and classes choose the tokenizer and the outputs. */
  ModelSpec spec();

  /** N, the tokens of a row the id signatures take. */
  int length();

  /** The longest sequence the model has positions for. */
  int maxLength();

  /** The largest max_new_tokens the generate signature accepts (language models). */
  int maxNewTokensCap();
}
