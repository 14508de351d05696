package io.longshort.graph.model;

import io.longshort.graph.decode.GenerateChecks;
import io.longshort.graph.decode.Generation;
import io.longshort.graph.decode.StreamScoring;
import io.longshort.graph.decode.TransformerLsGeneration;
import io.longshort.io.HostArray;
import io.longshort.graph.core.Parameters;
import io.longshort.data.TextTokenizer;
import io.longshort.graph.text.Tokenizers;
import io.longshort.spec.Task;
import io.longshort.spec.TransformerLsSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The serving graph of the authors' LM ({@link TransformerLsSpec}), exported like every other
 * servable model, with two signatures: {@code score} ({@link StreamScoring}): {@code tokens} (B, C)
 * int32 in, {@code logprobs} (B, C) out, log p(token i | the tokens before it), the blocks and the
 * cache streamed inside the graph; and {@code generate} ({@link TransformerLsGeneration}, the
 * inputs and outputs of our other LMs' generate signature: prompt_ids, prompt_lengths,
 * max_new_tokens, temperature, top_k, seed in; new_tokens, tokens, lengths out). The example
 * request and the warm-up record call {@code score}. As a {@link TokenServable} it is exported with
 * the language models' text signatures too ({@code score_text}, {@code generate_text}), its text
 * read by its tokenizer: bytes as train-lm reads them, or an imported LM's fairseq dictionary.
 *
 * <p>Letters: B batch (static), C capacity (tokens per row; a multiple of M for score, prompt and
 * continuation for generate), M block.
 */
public final class TransformerLsServingModel<T extends TFloating> extends GraphModel<T> implements TokenServable<T> {
  public static final String SCORE = "score";
  public static final String GENERATE = GenerateSignature.KEY;

  private final TransformerLsSpec spec;
  private final int batch;
  private final int capacity;
  private final TextTokenizer tokenizer;
  private final Parameters<T> params;
  private final Map<String, Operand<?>> inputs = new LinkedHashMap<>();
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  private final Map<String, Signature> signatures = new LinkedHashMap<>();

  private TransformerLsServingModel(TransformerLsSpec spec, Class<T> dtype, int batch, int capacity, int block,
      TextTokenizer tokenizer) {
    this.spec = spec;
    this.batch = batch;
    this.capacity = capacity;
    this.tokenizer = tokenizer;
    try {
      params = new Parameters<>(graph, dtype, 0);
      Ops tf = Ops.create(graph);
      Placeholder<TInt32> tokens = tf.withName("tokens").placeholder(TInt32.class,
          Placeholder.shape(Shape.of(batch, capacity)));
      Operand<T> logprobs = tf.withName("logprobs").identity(StreamScoring.build(tf, params, spec, block, tokens));
      Generation.Inputs gen = new Generation.Inputs(
          tf.withName("prompt_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch, -1))),
          tf.withName("prompt_lengths").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("max_new_tokens").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("temperature").placeholder(TFloat32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("top_k").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("seed").placeholder(TInt64.class, Placeholder.shape(Shape.of(batch))));
      Generation.Inputs checked = GenerateChecks.checked(tf, gen, spec.vocabSize(), capacity, capacity);
      Generation.Outputs generated = TransformerLsGeneration.build(tf, params, spec, batch, block, capacity, checked);

      inputs.put("tokens", tokens);
      Map<String, Operand<?>> genIn = new TreeMap<>(Map.of("prompt_ids", gen.promptIds(), "prompt_lengths",
          gen.promptLengths(), "max_new_tokens", gen.maxNewTokens(), "temperature", gen.temperature(), "top_k",
          gen.topK(), "seed", gen.seed()));
      inputs.putAll(genIn);
      Map<String, Operand<?>> genOut = new TreeMap<>(Map.of("new_tokens", generated.newTokens(), "tokens",
          generated.tokens(), "lengths", generated.lengths()));
      outputs.put("logprobs", logprobs);
      genOut.forEach((k, v) -> outputs.put("generate_" + k, v));
      signatures.put(SCORE, new Signature(new LinkedHashMap<>(Map.of("tokens", tokens)),
          new LinkedHashMap<>(Map.of("logprobs", logprobs))));
      signatures.put(GENERATE, new Signature(new LinkedHashMap<>(genIn), new LinkedHashMap<>(genOut)));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * A serving graph of {@code batch} rows of {@code capacity} tokens, scored {@code block} tokens
   * at a time; its parameters are the authors' names (load a state_dict with WeightLoader). Its
   * text is read as train-lm reads it, each byte its id ({@link Tokenizers#of(TransformerLsSpec)}).
   */
  public static <T extends TFloating> TransformerLsServingModel<T> build(TransformerLsSpec spec, Class<T> dtype,
      int batch, int capacity, int block) {
    return new TransformerLsServingModel<>(spec, dtype, batch, capacity, block, Tokenizers.of(spec));
  }

  /**
   * The same, its text read with {@code tokenizer} (an imported LM: the {@code FairseqTokenizer} of
   * its dict.txt; null: no text signatures).
   */
  public static <T extends TFloating> TransformerLsServingModel<T> build(TransformerLsSpec spec, Class<T> dtype,
      int batch, int capacity, int block, TextTokenizer tokenizer) {
    return new TransformerLsServingModel<>(spec, dtype, batch, capacity, block, tokenizer);
  }

  @Override
  public Parameters<T> parameters() {
    return params;
  }

  /** tokens (score), then generate's inputs by name. */
  @Override
  public Map<String, Operand<?>> inputs() {
    return inputs;
  }

  /** logprobs (score), then generate's outputs as generate_*. */
  @Override
  public Map<String, Operand<?>> outputs() {
    return outputs;
  }

  /** score, then generate. */
  @Override
  public Map<String, Signature> signatures() {
    return signatures;
  }

  @Override
  public String exampleSignature() {
    return SCORE;
  }

  /**
   * Random ids in 0..V-1 for {@code tokens}: the graph's own batch (its shapes are static) whatever
   * {@code batch} is asked for.
   */
  @Override
  public Map<String, HostArray> exampleInputs(int ignoredBatch, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    int[] ids = new int[batch * capacity];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(spec.vocabSize());
    }
    return new LinkedHashMap<>(Map.of("tokens", HostArray.ints(new long[] {batch, capacity}, ids)));
  }

  @Override
  public String specJson() {
    return spec.toJson();
  }

  @Override
  public int vocabSize() {
    return spec.vocabSize();
  }

  @Override
  public Task task() {
    return Task.LANGUAGE_MODEL;
  }

  @Override
  public int classes() {
    return 0;
  }

  @Override
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** C: the tokens of a row of score. */
  @Override
  public int length() {
    return capacity;
  }

  /** C: prompt and continuation of a generate row together. */
  @Override
  public int maxLength() {
    return capacity;
  }

  @Override
  public int maxNewTokensCap() {
    return capacity;
  }

  /** B: the graph's shapes are static. */
  @Override
  public int requestRows() {
    return batch;
  }

  /** score: tokens (B, C) -> logprobs (B, C), each token's given those before it. */
  @Override
  public Scoring scoring() {
    return new Scoring(SCORE, "tokens", "logprobs", false);
  }
}
