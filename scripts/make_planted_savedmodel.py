#!/usr/bin/env python3
"""Writes the test fixture for `inspect --tpu`: a TF2 SavedModel (tf.saved_model.save, not ours)
whose `pooled` signature runs an op without an XLA kernel (SegmentSum) under the name scope
head/pool inside a nested tf.function, and whose `serving_default` signature is plain dense math.

    /work/pyenv/bin/python scripts/make_planted_savedmodel.py tests/fixtures/planted_savedmodel

InspectTpuTest expects `inspect --tpu` to flag SegmentSum in `pooled` (with its scope) and to find
no kernel issue in `serving_default`.
"""
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402


class Planted(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.stateless_normal([8, 4], seed=[1, 2]), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
    def serve(self, x):
        return {"y": tf.nn.relu(tf.matmul(x, self.w))}

    @tf.function
    def _pool(self, h):
        with tf.name_scope("head"), tf.name_scope("pool"):
            # (4, B) summed over segments of the 4 features: SegmentSum has no XLA kernel
            return tf.transpose(tf.math.segment_sum(tf.transpose(h), tf.constant([0, 0, 1, 1])))

    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
    def pooled(self, x):
        return {"pooled": self._pool(tf.matmul(x, self.w))}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/planted_savedmodel"
    if os.path.exists(out):
        shutil.rmtree(out)
    m = Planted()
    tf.saved_model.save(m, out, signatures={"serving_default": m.serve, "pooled": m.pooled})
    print("wrote", out)


if __name__ == "__main__":
    main()
