/**
 * Graph emitters, by job: {@code core} (scopes, parameters, layers, the pre-LN block),
 * {@code attention} (the attention kinds and their shared ops), {@code model} (the LRA/LM models),
 * {@code decode} (incremental decoding and in-graph generation), {@code vision} (2-D attention and
 * the ViL models).
 *
 * <p>Dimension letters, one meaning each in every emitter's shape comments (a comment may also use a
 * word, e.g. (B, classes)):
 *
 * <table>
 *   <caption>Dimension letters</caption>
 *   <tr><th>letter</th><th>size</th></tr>
 *   <tr><td>B</td><td>batch</td></tr>
 *   <tr><td>N</td><td>rows of a sequence (tokens; 1 + N with a CLS row; G + P in vision)</td></tr>
 *   <tr><td>Np</td><td>N padded to whole windows or segments</td></tr>
 *   <tr><td>D</td><td>model width</td></tr>
 *   <tr><td>H, K</td><td>heads, head width D / H</td></tr>
 *   <tr><td>F</td><td>MLP hidden width</td></tr>
 *   <tr><td>V</td><td>vocabulary</td></tr>
 *   <tr><td>W</td><td>the window: 1-D bidirectional, the query block length (a block sees W + 2E keys);
 *       1-D causal, the W most recent positions; 2-D, w is the window side (lower case, as the
 *       authors)</td></tr>
 *   <tr><td>E</td><td>window margin max(W / 2, 1)</td></tr>
 *   <tr><td>Q</td><td>query blocks Np / W</td></tr>
 *   <tr><td>L</td><td>segment length of the causal projection (the authors' chunk)</td></tr>
 *   <tr><td>S</td><td>segments: Np / L, or ceil(C / L) in the decoder</td></tr>
 *   <tr><td>R</td><td>rank: projected keys and values (per segment when causal)</td></tr>
 *   <tr><td>G</td><td>global tokens: the CLS token of 1-D attention, the vision global tokens</td></tr>
 *   <tr><td>X, Y</td><td>patch grid rows and columns; Xp, Yp padded to multiples of w; SX, SY
 *       windows; T = w + 2E tile side; P = X * Y patches</td></tr>
 *   <tr><td>I, Ch, p</td><td>image side, image channels, patch side</td></tr>
 *   <tr><td>C</td><td>decode capacity: the most positions a row reaches</td></tr>
 *   <tr><td>M</td><td>generated tokens (the largest max_new_tokens)</td></tr>
 *   <tr><td>A, Z</td><td>any axes a helper passes through unchanged</td></tr>
 * </table>
 */
package io.longshort.graph;
