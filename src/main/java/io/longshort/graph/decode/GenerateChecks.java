package io.longshort.graph.decode;

import io.longshort.graph.core.InputChecks;
import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;

/**
 * The generate signature's inputs, checked in the graph ({@link InputChecks}) before the decode
 * loop sees them: a request TF Serving passes on unchecked cannot size a tensor by a billion new
 * tokens, nor read padding as its prompt, nor look up an id outside the vocabulary.
 *
 * <ul>
 *   <li>{@code max_new_tokens} in 0..cap, the cap fixed at export ({@code --max-new-tokens-cap},
 *       at most the capacity C: no row can hold more new tokens than C);
 *   <li>{@code prompt_lengths} in 1..P, P the ids sent per row ({@code prompt_ids}' second
 *       dimension): 0 would start from nothing, more would take padding for the prompt;
 *   <li>P &lt;= C;
 *   <li>{@code prompt_ids} within each row's prompt in 0..V-1 (the padding after it may hold anything).
 * </ul>
 */
public final class GenerateChecks {
  /** The scope of the checked inputs ({@code generate_checked/prompt_ids}, ...) and of their checks. */
  public static final String SCOPE = "generate_checked";

  private GenerateChecks() {}

  /**
   * {@code in}, each input gated by the checks.
   *
   * @param vocabSize V
   * @param capacity C
   * @param maxNewTokensCap the largest max_new_tokens a request may ask for, 1..C
   */
  public static Generation.Inputs checked(Ops outer, Generation.Inputs in, int vocabSize, int capacity,
      int maxNewTokensCap) {
    if (maxNewTokensCap < 1 || maxNewTokensCap > capacity) {
      throw new IllegalArgumentException("max new tokens cap (" + maxNewTokensCap + ") must be in 1.." + capacity
          + " (the capacity: no row holds more new tokens)");
    }
    InputChecks c = new InputChecks(outer.withSubScope(SCOPE));
    Ops tf = c.tf();
    // P, the ids sent per row: () from the (B, P) prompt ids
    Operand<TInt32> sent = Shapes.reshape(tf,
        Shapes.slice(tf, tf.shape(in.promptIds()), new long[] {1}, new long[] {1}), new long[0]);
    c.require(c.within(in.maxNewTokens(), tf.constant(0), tf.constant(maxNewTokensCap)),
        "max_new_tokens: every value must be in 0.." + maxNewTokensCap
            + " (the export --max-new-tokens-cap); got", in.maxNewTokens());
    c.require(c.within(in.promptLengths(), tf.constant(1), sent),
        "prompt_lengths: every value must be in 1..the ids sent per row (in prompt_ids); got prompt_lengths,"
            + " ids sent:", in.promptLengths(), sent);
    c.require(tf.math.lessEqual(sent, tf.constant(capacity)),
        "prompt_ids: at most " + capacity + " ids per row (the capacity); got", sent);
    // (B, P): true inside each row's prompt
    Operand<TBool> inPrompt = tf.math.less(
        tf.expandDims(tf.range(tf.constant(0), sent, tf.constant(1)), tf.constant(0)),
        tf.expandDims(in.promptLengths(), tf.constant(1)));
    Operand<TBool> inVocabulary = c.within(in.promptIds(), tf.constant(0), tf.constant(vocabSize - 1));
    c.require(tf.math.logicalOr(tf.math.logicalNot(inPrompt), inVocabulary),
        "prompt_ids: the ids of every prompt (its first prompt_lengths) must be in 0.." + (vocabSize - 1)
            + " (the vocabulary); got", in.promptIds());
    // the gates go into a scope of their own, so the compiled loop finds them (existingInputs)
    return new Generation.Inputs(c.gate(in.promptIds(), "prompt_ids"), c.gate(in.promptLengths(), "prompt_lengths"),
        c.gate(in.maxNewTokens(), "max_new_tokens"), c.gate(in.temperature(), "temperature"),
        c.gate(in.topK(), "top_k"), c.gate(in.seed(), "seed"));
  }
}
