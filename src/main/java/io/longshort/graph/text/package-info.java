/**
 * The serving graph's text encoder: strings in, the model's int32 ids and mask out, built from the
 * one tokenizer definition in {@code io.longshort.data.TextTokenizer} with core TF ops only (no
 * tf-text), so stock TF Serving runs it.
 */
package io.longshort.graph.text;
