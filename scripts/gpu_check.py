"""The GPU check's Python part (see bench/gpu/README.md): packs the HLO modules that XLA compiled
for our must-compile functions, and compiles and times them with JAX's XLA client on whatever
backend JAX has (CPU here, CUDA on the device machine). Needs numpy and jax/jaxlib; no JDK, no TF.

    python3 scripts/gpu_check.py pack --dump RAW_DIR --log DUMP_LOG --out bench/gpu/hlo.tar.xz
    python3 scripts/gpu_check.py run --pack bench/gpu/hlo.tar.xz --out DIR [--reps 5]

`pack` reads what XLA_FLAGS=--xla_dump_to=RAW_DIR --xla_dump_hlo_as_proto wrote while
io.longshort.bench.HloDumpMain ran (its stdout, DUMP_LOG, names the functions in the order they
ran): each function's `*.before_optimizations.hlo.pb` (an xla.HloProto) gives its HloModuleProto,
which is what XLA was handed, before any backend-specific pass. `run` turns each module into
StableHLO (jaxlib's hlo_to_stablehlo), compiles it for the first device, runs it once to warm up
and `--reps` times on random inputs of the entry computation's parameter shapes, and writes
results.csv and results.md into --out.
"""
import argparse
import csv
import io
import json
import lzma
import os
import platform
import re
import statistics
import sys
import tarfile
import tempfile
import time

# the function a dumped module belongs to, from the computation in its file name:
# module_<id>.<function>_<11-char hash>__.<n>.before_optimizations.hlo.pb
_MODULE = re.compile(r"^module_(\d+)\.(.+)_[A-Za-z0-9_-]{11}__\.\d+\.before_optimizations\.hlo\.pb$")

# HloDumpMain's names -> the TensorFlow function each compiles
_FUNCTION = [
    (re.compile(r"^layer_forward_n\d+$"), "forward"),
    (re.compile(r"^layer_forward_backward_n\d+$"), "forward_backward"),
    (re.compile(r"^listops_train_step$"), "train_step"),
    (re.compile(r"^lm_block_step$"), "block_step"),
    (re.compile(r"^lm_decode_step$"), "decode_step"),
]


def _varint(b, i):
    value = shift = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def hlo_module(hlo_proto):
    """The HloModuleProto (field 1) of a serialized xla.HloProto, read from the wire format: XLA's
    dump writes HloProto {hlo_module = 1; buffer_assignment = 3}, and no proto classes are needed."""
    i = 0
    while i < len(hlo_proto):
        tag, i = _varint(hlo_proto, i)
        field, wire = tag >> 3, tag & 7
        if wire == 2:
            n, i = _varint(hlo_proto, i)
            if field == 1:
                return hlo_proto[i:i + n]
            i += n
        elif wire == 0:
            _, i = _varint(hlo_proto, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError("not an xla.HloProto: wire type %d at byte %d" % (wire, i))
    raise ValueError("not an xla.HloProto: no hlo_module field")


def _expected(name):
    for pattern, function in _FUNCTION:
        if pattern.match(name):
            return function
    raise SystemExit("dump log: unknown function name '%s'" % name)


def pack(dump, log, out):
    with open(log) as f:
        names = [line.split()[1] for line in f if line.startswith("DUMPED ")]
    if not names:
        raise SystemExit("--log %s: no 'DUMPED <name>' line (did HloDumpMain run?)" % log)
    modules = []
    for fname in os.listdir(dump):
        m = _MODULE.match(fname)
        if m:
            modules.append((int(m.group(1)), m.group(2), fname))
    modules.sort()
    # walk both lists in order: each name takes the next module of its function; anything else
    # XLA compiled on the way (none today) is skipped and listed
    picked, skipped, k = [], [], 0
    for name in names:
        want = _expected(name)
        while k < len(modules) and modules[k][1] != want:
            skipped.append(modules[k][2])
            k += 1
        if k == len(modules):
            raise SystemExit("--dump %s: no module of function '%s' for %s (XLA_FLAGS without "
                             "--xla_dump_hlo_as_proto?)" % (dump, want, name))
        picked.append((name, modules[k][2]))
        k += 1
    skipped.extend(m[2] for m in modules[k:])
    manifest = []
    tmp = out + ".tmp"
    with tarfile.open(tmp, "w:xz", preset=9) as tar:
        for name, fname in picked:
            with open(os.path.join(dump, fname), "rb") as f:
                module = hlo_module(f.read())
            info = tarfile.TarInfo(name + ".hlo_module.pb")
            info.size = len(module)
            tar.addfile(info, io.BytesIO(module))
            manifest.append({"name": name, "dumped_as": fname, "bytes": len(module)})
        body = json.dumps({"modules": manifest, "skipped": skipped}, indent=1).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    os.replace(tmp, out)
    print("packed %d modules into %s (%d bytes)%s" % (len(picked), out, os.path.getsize(out),
          "; skipped " + ", ".join(skipped) if skipped else ""))


def _random(shape, rng, np):
    """Random values of an XLA parameter shape: small normals for floats (weights, activations,
    optimizer state), small non-negative integers for ids, labels, positions and seeds (every
    vocabulary and class count here is at least 8), false for predicates."""
    dtype = np.dtype(shape.element_type())
    dims = shape.dimensions()
    if dtype.kind == "f":
        return (0.02 * rng.standard_normal(dims)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(0, 8, size=dims).astype(dtype)
    if dtype.kind == "b":
        return np.zeros(dims, dtype)
    raise ValueError("parameter of unsupported type %s" % dtype)


def run(pack_path, out, reps):
    import jax
    import numpy as np
    from jax._src.lib import _jax
    from jax._src.lib import xla_client as xc

    # int64 parameters (dropout seeds, step counters) must stay 64-bit on the way in
    jax.config.update("jax_enable_x64", True)
    device = jax.devices()[0]
    client = device.client
    devices = _jax.DeviceList((device,))
    rng = np.random.default_rng(0)
    rows = []
    with tarfile.open(pack_path, "r:xz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        for entry in manifest["modules"]:
            name = entry["name"]
            module = tar.extractfile(name + ".hlo_module.pb").read()
            row = {"name": name, "platform": device.platform, "device": device.device_kind,
                   "parameters": 0, "parameter_mib": "", "compile_s": "", "runs": 0, "median_ms": "",
                   "min_ms": "", "temp_mib": "", "status": "ok"}
            try:
                shapes = xc.XlaComputation(module).program_shape().parameter_shapes()
                t0 = time.perf_counter()
                exe = client.compile_and_load(_jax.mlir.hlo_to_stablehlo(module), devices, xc.CompileOptions())
                row["compile_s"] = "%.2f" % (time.perf_counter() - t0)
                try:
                    row["temp_mib"] = "%.1f" % (exe.get_compiled_memory_stats().temp_size_in_bytes / 2**20)
                except Exception:  # not every backend reports it
                    pass
                host = [_random(s, rng, np) for s in shapes]
                row["parameters"] = len(host)
                row["parameter_mib"] = "%.1f" % (sum(a.nbytes for a in host) / 2**20)
                times = []
                for i in range(reps + 1):
                    # fresh buffers each run: a module that updates variables in place (input/output
                    # aliases) takes its inputs over
                    args = [jax.device_put(a, device) for a in host]
                    for a in args:
                        a.block_until_ready()
                    t0 = time.perf_counter()
                    outs = exe.execute(args)
                    for o in outs:
                        o.block_until_ready()
                    if i > 0:  # the first run warms up
                        times.append((time.perf_counter() - t0) * 1e3)
                    del outs, args
                row["runs"] = len(times)
                row["median_ms"] = "%.3f" % statistics.median(times)
                row["min_ms"] = "%.3f" % min(times)
            except Exception as e:  # one module's failure is a row, not the end of the check
                row["status"] = "error: " + (str(e).splitlines() or [type(e).__name__])[0][:200]
            rows.append(row)
            print("%-32s %s" % (name, row["median_ms"] + " ms" if row["status"] == "ok" else row["status"]),
                  flush=True)
    os.makedirs(out, exist_ok=True)
    fields = list(rows[0].keys())
    _atomic(os.path.join(out, "results.csv"), lambda f: _csv(f, fields, rows))
    head = ("# GPU check: our must-compile functions compiled and run by JAX's XLA\n\n"
            "- device: %s (%s), %d device(s) seen; jax %s, jaxlib %s; python %s on %s\n"
            "- %s; %d timed runs after one warm-up; random inputs (seed 0)\n"
            "- pack: %s (%d modules)\n\n"
            % (device.device_kind, device.platform, len(jax.devices()), jax.__version__,
               getattr(__import__("jaxlib"), "__version__", "?"), platform.python_version(), platform.node(),
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), reps, os.path.basename(pack_path),
               len(rows)))
    table = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    table += ["| " + " | ".join(str(r[k]) for k in fields) + " |" for r in rows]
    _atomic(os.path.join(out, "results.md"), lambda f: f.write(head + "\n".join(table) + "\n"))
    failed = [r["name"] for r in rows if r["status"] != "ok"]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _csv(f, fields, rows):
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)


def _atomic(path, write):
    """Writes path through a temporary name in the same folder, then renames it."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp_")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    pk = sub.add_parser("pack", help="pack the dumped HLO modules")
    pk.add_argument("--dump", required=True, help="the --xla_dump_to folder")
    pk.add_argument("--log", required=True, help="HloDumpMain's stdout")
    pk.add_argument("--out", required=True, help="the .tar.xz to write")
    rn = sub.add_parser("run", help="compile and time the packed modules")
    rn.add_argument("--pack", required=True, help="the .tar.xz that pack wrote")
    rn.add_argument("--out", required=True, help="folder for results.csv and results.md")
    rn.add_argument("--reps", type=int, default=5, help="timed runs per module (default 5)")
    a = p.parse_args()
    if a.command == "pack":
        pack(a.dump, a.log, a.out)
        return 0
    if a.reps < 1:
        raise SystemExit("--reps (%d) must be >= 1" % a.reps)
    return run(a.pack, a.out, a.reps)


if __name__ == "__main__":
    sys.exit(main())
