/**
 * Model specifications as data: {@code ModelSpec}, {@code TransformerLsSpec}, {@code VisionSpec}, the
 * attention kinds ({@code AttentionSpec}, {@code ImageAttentionSpec}: sealed interfaces with one record
 * per kind) and their enums, validated on construction and read from and written to JSON
 * ({@code Json}: Jackson, polymorphic on each spec's {@code kind} field). Model surgery is the specs'
 * own {@code with...} methods and {@code ModelOverrides} (dropout and attention fields by name).
 *
 * <p><b>Public API.</b> The bottom of the layering (spec &lt;- graph &lt;- compile &lt;- train/export
 * &lt;- cli): it imports only {@code io.longshort.io}; every other package may import it.
 */
package io.longshort.spec;
