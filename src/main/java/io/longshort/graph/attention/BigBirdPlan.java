package io.longshort.graph.attention;

import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which key blocks each query block of a BigBird layer sees, as transformers'
 * BigBirdBlockSparseAttention: query blocks 0 and S - 1 are global (every key); block 1 sees
 * blocks [0, 1, 2, S - 1], block S - 2 blocks [0, S - 3, S - 2, S - 1], every other block i
 * [i - 1, i, i + 1, 0, S - 1]; each then its R random blocks (their rand_attn row i - 1). The
 * random plan is the spec's ({@link AttentionSpec#randomPlan()}, e.g. transformers' own) or drawn
 * on the host from the spec's randomSeed and the layer's name, as their training mode draws it:
 * R distinct blocks among 1 .. S - 2 outside the query block's window. Either way it is a constant
 * of the graph; another seed redraws it.
 *
 * <p>Letters: S blocks, H heads, R random blocks, L = 5 + R key blocks per middle query block.
 */
final class BigBirdPlan {
  private BigBirdPlan() {}

  /** The smallest number of blocks a layer takes: 1 + 3 + 1 for the window and globals, R more to draw from. */
  public static int minBlocks(AttentionSpec.BigBird spec) {
    return spec.randomBlocks() + 5;
  }

  /** The random plan (H, S - 2, R) of layer {@code layerName} at S blocks. */
  public static int[][][] random(AttentionSpec.BigBird spec, String layerName, int blocks) {
    int[][][] given = spec.randomPlan();
    if (given != null) {
      if (given[0].length != blocks - 2) {
        throw new IllegalArgumentException("bigbird attention '" + layerName + "': the spec's randomPlan covers "
            + (given[0].length + 2) + " blocks of " + spec.blockSize() + ", the input has " + blocks);
      }
      return given;
    }
    if (blocks < minBlocks(spec)) {
      throw new IllegalArgumentException("bigbird attention '" + layerName + "': " + blocks + " blocks of "
          + spec.blockSize() + " are too few for " + spec.randomBlocks() + " random blocks; at least "
          + minBlocks(spec) + " blocks (length " + minBlocks(spec) * spec.blockSize() + ") are needed");
    }
    int r = spec.randomBlocks();
    Random rnd = new Random(spec.randomSeed() * 1_000_003L + layerName.hashCode());
    int[][][] plan = new int[spec.heads()][blocks - 2][r];
    for (int h = 0; h < spec.heads(); h++) {
      for (int i = 1; i <= blocks - 2; i++) {
        List<Integer> candidates = new ArrayList<>();
        for (int j = 1; j <= blocks - 2; j++) {
          if (Math.abs(j - i) > 1) {
            candidates.add(j);
          }
        }
        Collections.shuffle(candidates, rnd);
        for (int c = 0; c < r; c++) {
          plan[h][i - 1][c] = candidates.get(c);
        }
      }
    }
    return plan;
  }

  /**
   * The key blocks of every middle query block 1 .. S - 2, per head: (H, S - 2, L) block indices,
   * and (S - 2, L) 1 for a real slot, 0 for the padding slot of blocks 1 and S - 2 (4 fixed blocks).
   */
  record Lists(int[][][] blocks, double[][] slotValid) {}

  static Lists lists(int[][][] random, int blocks) {
    int h = random.length;
    int r = random[0][0].length;
    int l = 5 + r;
    int[][][] out = new int[h][blocks - 2][l];
    double[][] valid = new double[blocks - 2][l];
    for (int i = 1; i <= blocks - 2; i++) {
      int[] fixed = i == 1 ? new int[] {0, 1, 2, blocks - 1}
          : i == blocks - 2 ? new int[] {0, blocks - 3, blocks - 2, blocks - 1}
          : new int[] {i - 1, i, i + 1, 0, blocks - 1};
      for (int head = 0; head < h; head++) {
        int c = 0;
        for (int f : fixed) {
          out[head][i - 1][c++] = f;
        }
        for (int q = 0; q < r; q++) {
          out[head][i - 1][c++] = random[head][i - 1][q];
        }
        // blocks 1 and S - 2: the last slot pads, pointing at block 0, masked
      }
      for (int c = 0; c < l; c++) {
        valid[i - 1][c] = c < fixed.length + r ? 1 : 0;
      }
    }
    return new Lists(out, valid);
  }
}
