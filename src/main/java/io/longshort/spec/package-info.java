/**
 * Model specifications as data: {@code ModelSpec}, {@code TransformerLsSpec}, {@code VisionSpec}, the
 * attention kinds ({@code AttentionSpec}, {@code ImageAttentionSpec}) and their enums, validated on
 * construction and read from and written to JSON ({@code Json}).
 *
 * <p><b>Public API.</b> The bottom of the layering (spec &lt;- graph &lt;- compile &lt;- train/export
 * &lt;- cli): it imports only {@code io.longshort.io}; every other package may import it.
 */
package io.longshort.spec;
