/**
 * Built models: {@code BuiltModel} (graph, session, parameters, named inputs and outputs) and the
 * models that implement it: {@code ModelGraph} (the LRA token models), {@code ComposedModel} (a model
 * composed in Java), {@code TransformerLsLm} (the authors' LM), with their serving signatures.
 *
 * <p><b>Public API.</b> Imports {@code spec}, {@code graph.core} and {@code graph.attention}; the
 * packages above ({@code train}, {@code export}, {@code cli}, {@code bench}) program against its
 * interfaces, not its concrete classes.
 */
package io.longshort.graph.model;
