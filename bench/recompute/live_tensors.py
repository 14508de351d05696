#!/usr/bin/env python3
"""What a training step keeps alive at its peak, from one traced step (RunMetadata with full trace and
partition graphs, as `RecomputeStepMain` writes it with -Drecompute.trace=FILE).

A buffer is born when the node that outputs it ends and dies when the last node that reads it ends
(TensorFlow's executor frees a tensor once its last consumer has run); outputs that share a buffer
(Identity, in-place forwarding: the same address while it is alive) count once. Only buffers of at
least 1 MiB are followed: the JVM, TensorFlow itself, op temporaries and malloc's retention are not
in this count, so it is the live-tensor part of VmHWM only.

    python3 bench/recompute/live_tensors.py TRACE.pb [TOP]

prints the peak of live buffers, the TOP largest alive then, and the op time summed by part of the
step (forward, the recomputed blocks' rebuilt forward and their gradients, other gradients, optimizer).
Needs tensorflow (for the protos): the venv of tests/interop_python.sh.
"""
import collections
import re
import sys

from tensorflow.core.protobuf import config_pb2

MIB = 1 << 20


def part(name):
    """The part of the step a node belongs to, by its name."""
    m = re.search(r'_recompute/(.*)', name)
    if m:
        # inside G: the rebuilt block (its forward ops keep their model/... names) or its gradient
        return 'G rebuilt forward' if m.group(1).startswith('model/') else 'G gradient'
    if re.search(r'(^|/)gradients', name):
        return 'gradients (outside G)'
    if name.startswith('optimizer'):
        return 'optimizer'
    return 'forward'


def main(path, top):
    md = config_pb2.RunMetadata()
    with open(path, 'rb') as f:
        md.ParseFromString(f.read())
    stats = {ns.node_name: ns for dev in md.step_stats.dev_stats for ns in dev.node_stats}
    op_of = {}
    readers = collections.defaultdict(list)
    for pg in md.partition_graphs:
        for nd in pg.node:
            op_of[nd.name] = nd.op
            for inp in nd.input:
                if not inp.startswith('^'):
                    name, _, slot = inp.partition(':')
                    readers[(name, int(slot or 0))].append(nd.name)
    end = {n: ns.all_start_micros + ns.all_end_rel_micros for n, ns in stats.items()}
    t0 = min(ns.all_start_micros for ns in stats.values())
    outputs = []
    for name, ns in stats.items():
        for out in ns.output:
            alloc = out.tensor_description.allocation_description
            size = alloc.allocated_bytes or alloc.requested_bytes
            if size < MIB:
                continue
            death = max([end[r] for r in readers.get((name, out.slot), []) if r in end] + [end[name]])
            shape = 'x'.join(str(d.size) for d in out.tensor_description.shape.dim)
            outputs.append((end[name], death, size, alloc.ptr, name, shape))
    outputs.sort()
    live_at = {}  # address -> the buffer alive there
    buffers = []
    for birth, death, size, ptr, name, shape in outputs:
        b = live_at.get(ptr)
        if ptr and b is not None and b['birth'] <= birth <= b['death']:
            b['death'] = max(b['death'], death)  # the same buffer passed on
            b['aliases'] += 1
            continue
        b = {'birth': birth, 'death': death, 'size': size, 'name': name, 'shape': shape, 'aliases': 0}
        live_at[ptr] = b
        buffers.append(b)
    events = sorted([(b['birth'], 1, b['size']) for b in buffers] + [(b['death'], 0, -b['size']) for b in buffers])
    live = peak = 0
    at = t0
    for t, _, d in events:
        live += d
        if live > peak:
            peak, at = live, t
    alive = sorted((b for b in buffers if b['birth'] <= at < b['death'] or b['birth'] == at), key=lambda b: -b['size'])
    print('%s: peak of live buffers >= 1 MiB: %.0f MiB in %d buffers, %.0f ms into the step (%s)'
          % (path, peak / MIB, len(alive), (at - t0) / 1e3, part(alive[0]['name']) if alive else '-'))
    print('| MiB | born ms | freed ms | part | node [op] shape |')
    print('|---|---|---|---|---|')
    for b in alive[:top]:
        print('| %.0f | %.0f | %.0f | %s | %s [%s] %s |' % (b['size'] / MIB, (b['birth'] - t0) / 1e3,
              (b['death'] - t0) / 1e3, part(b['name']), b['name'], op_of.get(b['name'], '?'), b['shape']))
    ms = collections.Counter()
    for name, ns in stats.items():
        ms[part(name)] += ns.all_end_rel_micros / 1e3
    print('op time summed by part (ms, all threads): ' + ', '.join('%s %.0f' % kv for kv in ms.most_common()))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
