"""What XLA compiles in this process, for the check scripts: which functions of a SavedModel must
compile (the `_XlaMustCompile` calls each signature reaches) and which modules XLA compiled.

    import xla_dump
    dump = xla_dump.enable()          # before `import tensorflow`: XLA_FLAGS=--xla_dump_to=<temp>
    import tensorflow as tf
    fns = xla_dump.must_compile(savedmodel_dir)   # {signature: [function, ...]}
    before = xla_dump.modules(dump)
    ...                               # run a signature
    xla_dump.compiled(dump, before, fns["serving_default"])   # the new modules of those functions

XLA writes one set of files per compiled module, named module_<id>.<computation>.*, where the
computation's name holds the TensorFlow function's (TF2's loader prefixes "__inference_"), so a
new module id for a signature's function means that XLA compiled it for that run.
"""
import atexit
import os
import re
import shutil
import tempfile


def enable():
    """Sets XLA_FLAGS to dump into a new temporary folder (unless it dumps already); returns it."""
    flags = os.environ.get("XLA_FLAGS", "")
    m = re.search(r"--xla_dump_to=(\S+)", flags)
    if m:
        return m.group(1)
    dump = tempfile.mkdtemp(prefix="xla_dump_")
    atexit.register(shutil.rmtree, dump, True)
    os.environ["XLA_FLAGS"] = (flags + " --xla_dump_to=" + dump).strip()
    return dump


def _must(node):
    return node.op in ("StatefulPartitionedCall", "PartitionedCall") and "_XlaMustCompile" in node.attr \
        and node.attr["_XlaMustCompile"].b


def _called(node):
    """Names of the functions a node calls (call ops, While/If/Case bodies, direct calls)."""
    out = []
    for v in node.attr.values():
        if v.HasField("func"):
            out.append(v.func.name)
        elif v.HasField("list"):
            out.extend(f.name for f in v.list.func)
    return out


def must_compile(savedmodel_dir):
    """{signature key: sorted names of the must-compile functions its outputs depend on}."""
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(savedmodel_dir, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    mg = sm.meta_graphs[0]
    nodes = {n.name: n for n in mg.graph_def.node}
    library = {f.signature.name: f for f in mg.graph_def.library.function}
    out = {}
    for key, sig in mg.signature_def.items():
        found = set()
        todo = [t.name.split(":")[0] for t in sig.outputs.values()]
        seen = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in nodes:
                continue
            seen.add(name)
            n = nodes[name]
            _collect(n, library, found, set())
            todo.extend(i.lstrip("^").split(":")[0] for i in n.input)
        out[key] = sorted(found)
    return out


def _collect(node, library, found, seen):
    if _must(node):
        found.add(node.attr["f"].func.name)
        return
    for fn in _called(node):
        if fn in library and fn not in seen:
            seen.add(fn)
            for inner in library[fn].node_def:
                _collect(inner, library, found, seen)


def modules(dump):
    """The set of module_<id>.<computation> names XLA has dumped so far."""
    if not os.path.isdir(dump):
        return set()
    return {".".join(f.split(".")[:2]) for f in os.listdir(dump) if f.startswith("module_")}


def compiled(dump, before, functions):
    """Modules dumped since `before` whose computation names one of `functions`."""
    return sorted(m for m in modules(dump) - before if any(fn in m for fn in functions))
