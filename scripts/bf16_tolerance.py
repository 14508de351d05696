"""The bf16 tolerance the check scripts (and CompiledSavedModelExportTest) hold bf16 exports to.

bfloat16 keeps 8 significant bits: one rounding errs by at most u = 2^-8 relatively. The logits sit
behind about k = 6 L + 4 roundings of values of their scale (per block the attention's projections
and output, two MLP matmuls, GELU, residual sums; embeddings and head; softmax and LayerNorm
statistics run in float32), which add like a random walk, sqrt(k) u. We allow twice that of the
logits' scale (their largest magnitude, at least 1); probabilities move by at most twice the
largest logit error (dp_i = p_i (dz_i - sum_j p_j dz_j)).
"""
import json

import numpy as np

U = 2.0 ** -8


def logits_tolerance(layers, logits):
    return 2 * np.sqrt(6 * layers + 4) * U * max(1.0, float(np.max(np.abs(logits))))


def layers_of(example_path):
    """The model's layer count, from the spec JSON in an example.safetensors' metadata."""
    from safetensors import safe_open
    with safe_open(example_path, "np") as f:
        return json.loads(f.metadata()["model"])["layers"]
