package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The random features of Performer attention (performer_pytorch's FastAttention). */
public enum FeatureMap {
  /**
   * relu(x W^T) + 0.001, their {@code generalized_kernel} with {@code kernel_fn = ReLU}: the kernel
   * the authors' LRA {@code PerformerAttention} names ("relu").
   */
  RELU,
  /**
   * FAVOR+ positive softmax features m^-1/2 (exp(x W^T - |x|^2 / 2 - stabiliser) + 1e-4), their
   * {@code softmax_kernel}: an unbiased estimate of exp(q . k / sqrt(K)), so the output approaches
   * softmax attention as the number of features grows.
   */
  SOFTMAX;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static FeatureMap fromJson(String name) {
    return Enums.fromJson(FeatureMap.class, "featureMap", name);
  }
}
