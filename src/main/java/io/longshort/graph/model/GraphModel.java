package io.longshort.graph.model;

import io.longshort.graph.core.OwnedGraph;
import org.tensorflow.types.family.TFloating;

/**
 * A built model's graph and session ({@link OwnedGraph}: opened and initialised on first use,
 * closed with it): the lifecycle every {@link BuiltModel} of ours shares.
 */
public abstract class GraphModel<T extends TFloating> extends OwnedGraph implements BuiltModel<T> {}
