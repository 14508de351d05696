package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ListOpsCount} against counts by hand and against the generator's own distinct draws. */
class ListOpsCountTest {
  private static final double ALL = Double.MAX_VALUE;

  private static double count(int min, int max) {
    return ListOpsCount.distinct(min, max, ListOpsGenerator.DEFAULT_MAX_DEPTH, ListOpsGenerator.DEFAULT_MAX_ARGS, ALL);
  }

  @Test
  void shortRangesCountedByHand() {
    // 1 token: a digit (10); 2 and 3 tokens: nothing ([OP d d ] is the shortest operator, 4 tokens)
    assertEquals(10, count(0, 2));
    assertEquals(10, count(0, 4));
    // 4 tokens: [OP d d ], 4 x 10^2; 5: [OP d d d ], 4 x 10^3; 6: 4 x 10^4
    assertEquals(400, count(3, 5));
    assertEquals(4000, count(4, 6));
    assertEquals(40000, count(5, 7));
    assertEquals(10 + 400 + 4000, count(0, 6));
    // 7 tokens: [OP five digits ] (4 x 10^5), or [OP [OP d d ] d ] and [OP d [OP d d ] ] (2 x 4 x 400 x 10)
    assertEquals(400000 + 32000, count(6, 8));
  }

  @Test
  void theDepthLimitCounts() {
    // depth 2: an operator over digits only, so 7 tokens are [OP five digits ] alone
    assertEquals(400000, ListOpsCount.distinct(6, 8, 2, 10, ALL));
    // at most 3 arguments: 7 tokens are the two nested forms only
    assertEquals(32000, ListOpsCount.distinct(6, 8, 10, 3, ALL));
  }

  @Test
  void theGeneratorFindsExactlyThatMany() {
    // 3 < tokens < 6 with depth 2 and at most 3 arguments: 400 + 4000 distinct expressions, and the
    // generator does find that many (the count is not too low; the hand counts above show it is not too high)
    ListOpsGenerator g = new ListOpsGenerator(11, 3, 6, 2, 3);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 4400; i++) {
      assertTrue(seen.add(g.next().text()));
    }
    assertEquals(4400, ListOpsCount.distinct(3, 6, 2, 3, ALL));
  }

  @Test
  void stopsOnceEnoughAreFoundAndLeavesLongLengthsUncounted() {
    long t0 = System.nanoTime();
    double n = count(ListOpsGenerator.DEFAULT_MIN_LENGTH, ListOpsGenerator.DEFAULT_MAX_LENGTH);
    assertTrue(n >= 1e30, "LRA's range holds more than any request: " + n);
    assertTrue(count(20, 100) > 1e30);
    assertTrue(ListOpsCount.distinct(500, 2000, 10, 10, 100_000) >= 100_000);
    assertEquals(-1, count(ListOpsCount.MAX_COUNTED_LENGTH, ListOpsCount.MAX_COUNTED_LENGTH + 10));
    assertTrue((System.nanoTime() - t0) / 1e9 < 2, "counted in well under the seconds a user would wait");
  }
}
