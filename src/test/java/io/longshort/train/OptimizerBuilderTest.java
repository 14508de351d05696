package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.longshort.train.OptimizerSpec.Schedule;
import io.longshort.train.OptimizerSpec.Type;
import org.junit.jupiter.api.Test;

/** Optimizers by name give the specs the positional constructor gives, and its messages. */
class OptimizerBuilderTest {
  @Test
  void namedOptionsGiveTheSameSpec() {
    assertEquals(new OptimizerSpec(Type.ADAMW, 3e-3, 0.9, 0.999, 1e-6, 0.01, 0, Schedule.LINEAR, 30, 300, 1.0, 1),
        AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(30).optClipNorm(1.0).buildFor(300));
    assertEquals(new OptimizerSpec(Type.ADAM, 1e-3, 0.8, 0.99, 1e-8, 0, 0, Schedule.COSINE, 0, 50, 0, 2),
        Adam.builder().setLearningRate(1e-3).optBetas(0.8, 0.99).optEpsilon(1e-8).optSchedule("cosine")
            .optTotalSteps(50).optAccumulationSteps(2).buildFor(999));
    assertEquals(new OptimizerSpec(Type.SGD, 0.1, 0.9, 0.999, 1e-6, 0, 0.9, Schedule.CONSTANT, 0, 10, 0, 1),
        Sgd.builder().setLearningRate(0.1).optMomentum(0.9).optSchedule(Schedule.CONSTANT).optTotalSteps(10).build());
    assertEquals(OptimizerSpec.authorsLra(5, 100), AdamW.builder().setLearningRate(1e-4).optWarmup(5).buildFor(100));
  }

  @Test
  void badValuesGetTheSpecsMessages() {
    assertEquals("OptimizerSpec: learningRate is required (setLearningRate)",
        assertThrows(IllegalArgumentException.class, () -> AdamW.builder().buildFor(10)).getMessage());
    assertEquals("OptimizerSpec: beta1 (1.0) must be in [0, 1)", assertThrows(IllegalArgumentException.class,
        () -> Adam.builder().setLearningRate(1e-3).optBetas(1.0, 0.9).buildFor(10)).getMessage());
    assertEquals("OptimizerSpec: warmupSteps (10) must be smaller than totalSteps (10) for a decaying schedule",
        assertThrows(IllegalArgumentException.class,
            () -> AdamW.builder().setLearningRate(1e-3).optWarmup(10).buildFor(10)).getMessage());
    assertEquals("OptimizerSpec: totalSteps (0) must be >= 1",
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().setLearningRate(0.1).build()).getMessage());
    assertThrows(IllegalArgumentException.class, () -> AdamW.builder().setLearningRate(1e-3).optSchedule("step"));
  }
}
