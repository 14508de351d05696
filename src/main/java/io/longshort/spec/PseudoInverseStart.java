package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where Nystrom attention's iterative pseudo-inverse of the landmark kernel A starts:
 * Z0 = A^T / max_j sum_i A_ij, the maximum taken over one of two ranges.
 */
public enum PseudoInverseStart {
  /**
   * The maximum over the whole (B, H, m, m) tensor, the authors' "original": a row's answer
   * depends on the other rows of its batch. Kept to match them.
   */
  BATCH,
  /**
   * The maximum per batch row and head (the authors' other option): each row's answer is its own,
   * whatever it is batched with. Exports use it, so that a server's batching cannot change an answer.
   */
  ROW;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static PseudoInverseStart fromJson(String name) {
    return Enums.fromJson(PseudoInverseStart.class, "inverseStart", name);
  }
}
