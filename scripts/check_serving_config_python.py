#!/usr/bin/env python3
"""Checks that models.config and batching_parameters.txt parse as TF Serving's messages.

    python3 scripts/check_serving_config_python.py savedmodels --base-path /models

Parses ROOT/models.config as a tensorflow.serving.ModelServerConfig and ROOT/batching_parameters.txt
as a tensorflow.serving.BatchingParameters with protobuf's own text_format parser, using
tensorflow_serving's generated classes when that package is installed, else messages built here
from a descriptor with TF Serving's names and field numbers (model_server_config.proto,
session_bundle_config.proto). Checks: one config per model folder of ROOT (a folder holding a
numbered version), each named after its folder with base_path BASE_PATH/NAME (the path as given,
however hostile: quotes and newlines escaped, never a second config), platform tensorflow; and the
batching parameters are int64 wrappers with max_batch_size > 0. Exit status 0 when every check passes.
"""
import argparse
import os
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, text_format, wrappers_pb2

try:
    from google.protobuf import message_factory
except ImportError:  # pragma: no cover
    message_factory = None


def messages():
    """(ModelServerConfig, BatchingParameters) classes: tensorflow_serving's, else from a descriptor."""
    try:
        from tensorflow_serving.config import model_server_config_pb2
        from tensorflow_serving.servables.tensorflow import session_bundle_config_pb2
        return (model_server_config_pb2.ModelServerConfig, session_bundle_config_pb2.BatchingParameters,
                "tensorflow_serving's protos")
    except ImportError:
        pass
    f = descriptor_pb2.FileDescriptorProto(name="check_serving_config.proto", package="tensorflow.serving",
                                           syntax="proto3", dependency=["google/protobuf/wrappers.proto"])
    T = descriptor_pb2.FieldDescriptorProto
    def msg(name, fields):
        m = f.message_type.add(name=name)
        for fname, number, ftype, type_name, repeated in fields:
            fd = m.field.add(name=fname, number=number, type=ftype,
                             label=T.LABEL_REPEATED if repeated else T.LABEL_OPTIONAL)
            if type_name:
                fd.type_name = type_name
    msg("ModelConfig", [("name", 1, T.TYPE_STRING, None, False), ("base_path", 2, T.TYPE_STRING, None, False),
                        ("model_platform", 4, T.TYPE_STRING, None, False)])
    msg("ModelConfigList", [("config", 1, T.TYPE_MESSAGE, ".tensorflow.serving.ModelConfig", True)])
    msg("ModelServerConfig", [("model_config_list", 1, T.TYPE_MESSAGE, ".tensorflow.serving.ModelConfigList", False)])
    wrapped = ".google.protobuf.Int64Value"
    msg("BatchingParameters", [("max_batch_size", 1, T.TYPE_MESSAGE, wrapped, False),
                               ("batch_timeout_micros", 2, T.TYPE_MESSAGE, wrapped, False),
                               ("num_batch_threads", 3, T.TYPE_MESSAGE, wrapped, False),
                               ("max_enqueued_batches", 4, T.TYPE_MESSAGE, wrapped, False)])
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(descriptor_pb2.FileDescriptorProto.FromString(
        wrappers_pb2.DESCRIPTOR.serialized_pb).SerializeToString())
    pool.Add(f)
    get = message_factory.GetMessageClass
    return (get(pool.FindMessageTypeByName("tensorflow.serving.ModelServerConfig")),
            get(pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters")),
            "a descriptor with TF Serving's field numbers (tensorflow_serving not installed)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--base-path", help="the --serving-base-path the export was given (default: ROOT's absolute path)")
    args = ap.parse_args()
    server_config, batching, source = messages()
    failures = 0
    with open(os.path.join(args.root, "models.config"), encoding="utf-8") as fh:
        config = text_format.Parse(fh.read(), server_config())
    models = sorted(d for d in os.listdir(args.root) if not d.startswith(".")
                    and os.path.isdir(os.path.join(args.root, d))
                    and any(v.isdigit() for v in os.listdir(os.path.join(args.root, d))))
    got = [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config]
    if args.base_path is not None:
        base = args.base_path.rstrip("/")
        want = [(m, base + "/" + m, "tensorflow") for m in models]
    else:
        want = [(m, os.path.abspath(os.path.join(args.root, m)), "tensorflow") for m in models]
    ok = got == want
    failures += not ok
    print("%s models.config parses as ModelServerConfig (%s): %d config(s) %s, one per model folder %s" % (
        "PASS" if ok else "FAIL", source, len(got), [(n, b) for n, b, _ in got], models))
    with open(os.path.join(args.root, "batching_parameters.txt"), encoding="utf-8") as fh:
        b = text_format.Parse(fh.read(), batching())
    ok = b.max_batch_size.value > 0 and b.num_batch_threads.value > 0
    failures += not ok
    print("%s batching_parameters.txt parses as BatchingParameters: max_batch_size %d, batch_timeout_micros %d,"
          " num_batch_threads %d, max_enqueued_batches %d" % ("PASS" if ok else "FAIL", b.max_batch_size.value,
          b.batch_timeout_micros.value, b.num_batch_threads.value, b.max_enqueued_batches.value))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
