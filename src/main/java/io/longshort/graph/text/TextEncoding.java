package io.longshort.graph.text;

import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.TInt32;

/**
 * The encoder's outputs for B strings: ids and mask (B, N) int32 as the id signatures take them,
 * each row's token count before truncation and the tokens truncation dropped (B) int32.
 *
 * @param tableInitializer the op that fills the vocabulary table from its asset file (run it
 *     once per session; an export lists it as the table initializer), or null when the family has
 *     no table
 * @param vocabularyPath the string the table reads its file name from: an exporter registers it in
 *     the MetaGraph's asset collection so loaders remap it; null with no table
 */
public record TextEncoding(
    Operand<TInt32> ids,
    Operand<TInt32> mask,
    Operand<TInt32> tokens,
    Operand<TInt32> truncated,
    Op tableInitializer,
    Operand<?> vocabularyPath) {}
