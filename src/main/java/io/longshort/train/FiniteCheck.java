package io.longshort.train;

import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.TrainableModel;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;

/** One op in the model's graph that says whether every parameter is finite, run before each checkpoint. */
final class FiniteCheck {
  private final Operand<TBool> allFinite;

  FiniteCheck(TrainableModel<?> model) {
    Ops tf = Ops.create(model.graph()).withSubScope("finite_check");
    List<Operand<TBool>> each = new ArrayList<>();
    for (Parameter<?> p : model.parameters().list()) {
      // the stored variable (float32 master weights under mixed precision): what a checkpoint holds
      Operand<TBool> finite = tf.math.isFinite(p.variable());
      each.add(tf.reduceAll(finite, tf.range(tf.constant(0), tf.rank(finite), tf.constant(1))));
    }
    allFinite = tf.withName("all_finite").reduceAll(tf.stack(each), tf.constant(new int[] {0}));
  }

  boolean allFinite(Session session) {
    try (var r = session.runner().fetch(allFinite).run()) {
      return ((TBool) r.get(0)).getBoolean();
    }
  }
}
