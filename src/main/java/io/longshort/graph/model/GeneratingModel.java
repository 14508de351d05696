package io.longshort.graph.model;

import io.longshort.graph.core.CompiledCalls;
import org.tensorflow.types.family.TFloating;

/**
 * A servable language model whose signatures include {@code generate} (the whole decode loop in
 * the graph) when {@link #signatures()} has that key: what the exporters need to compile the
 * loop's step and to write a generate example.
 */
public interface GeneratingModel<T extends TFloating> extends ServableModel<T> {
  /**
   * The generate signature, adding its loop to the graph once; with {@code compiledStep} (null for
   * none) the outputs of a second loop over the same inputs whose step it builds as one function.
   */
  Signature generateSignature(CompiledCalls compiledStep);

  /** Tokens per row of {@link #exampleInputs} (prompts are cut from them). */
  int length();

  /** The most positions a generated row may have (prompt and continuation). */
  int maxLength();
}
