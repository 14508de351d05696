package io.longshort.graph.decode;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.decode.DecodeCache;
import io.longshort.graph.decode.IncrementalDecoder;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Positions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A long-short decode step does not touch the prefix: at capacity C = 16384 (window 64, segment
 * 16, rank 1) no tensor of the step holds more values than the cache's segment slots
 * ((C / L)·R rows of D) — nothing has C rows; the same step for full attention does hold C rows
 * (its cache), so the check can see them.
 */
class DecodeStepSizeTest {
  static final int C = 16384;
  static final int D = 16;

  static ModelSpec spec(AttentionSpec a) {
    return ModelSpec.languageModel().setVocabSize(32).setMaxLength(C).setWidth(D).setLayers(1).setHiddenWidth(2 * D)
        .setAttention(a).optPositions(Positions.SINUSOIDAL).build();
  }

  /** The largest static element count of any op output of one decode step, and where. */
  static List<String> largest(ModelSpec spec, long limit) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      IncrementalDecoder<TFloat32> dec = new IncrementalDecoder<>(GraphScope.root(new Parameters<>(g, TFloat32.class,
          0)), spec, C);
      List<Operand<TFloat32>> cache = new ArrayList<>();
      for (DecodeCache.Entry e : dec.cache().entries()) {
        cache.add(tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(1, e.rows(), e.cols()))));
      }
      dec.step(tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(1))),
          tf.placeholder(TInt32.class, Placeholder.shape(Shape.scalar())), cache);
      List<String> over = new ArrayList<>();
      for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        for (int i = 0; i < op.numOutputs(); i++) {
          Shape s = op.output(i).shape();
          if (!s.isUnknown() && !s.hasUnknownDimension() && s.size() > limit) {
            over.add(op.name() + " " + s);
          }
        }
      }
      return over;
    }
  }

  @Test
  void longShortStepIsBoundedByWindowAndSegments() {
    AttentionSpec ls = AttentionSpec.causalLongShort().setWidth(D).setHeads(2).setWindow(64).setSegment(16).setRank(1)
        .build();
    // the segment slots: (C / L)·R rows of D values (and their logits, one per slot per head)
    long slots = (long) (C / 16) * D;
    List<String> over = largest(spec(ls), slots);
    assertTrue(over.isEmpty(), "long-short step tensors larger than the segment slots: " + over);
    // shapes are known statically: the slots themselves are there
    assertTrue(!largest(spec(ls), slots - 1).isEmpty(), "the segment slots must be seen");

    List<String> full = largest(spec(AttentionSpec.causalFull().setWidth(D).setHeads(2).build()), slots);
    assertTrue(!full.isEmpty(), "full attention's C-row cache must be seen");
  }
}
