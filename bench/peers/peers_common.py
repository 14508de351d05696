"""What the peer benchmarks share (peer_lm.py, peer_lra.py, ab_lm.py, ab_ours.py): our side as a Java
process over a pipe, both sides' threads and CPUs, interleaved rounds, the load average, the command
line as the results file shows it. Import it before torch: it sets OMP_WAIT_POLICY, which libgomp
reads when torch loads (bench/peers/README.md: PASSIVE is their best under load)."""
import os
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class JavaPeer:
    """One of our bench drivers (io.longshort.bench.PeerLmBench, PeerLraBench) over a pipe: a command
    per line; the answer is the first line starting with "ok " or "ms "."""

    def __init__(self, main_class, java, cp, pin=None):
        self.main_class = main_class
        cmd = (pin or []) + [java, "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0",
                             "-cp", cp, "io.longshort.bench." + main_class]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, line):
        """The answer's fields and the lines printed before it (e.g. parameter shapes)."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        before = []
        while True:
            reply = self.proc.stdout.readline()
            if not reply:
                raise RuntimeError(self.main_class + " exited on: " + line)
            if reply.startswith(("ok ", "ms ")):
                return reply.split(), before
            before.append(reply.rstrip("\n"))

    def run(self, name, mode):
        """Milliseconds of one run of case `name` in `mode`."""
        return float(self.ask(f"run {name} {mode}")[0][1])

    def quit(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def pin_threads(torch, threads):
    """Their torch on `threads` threads (interop 1). Our TF sizes its pools from the CPUs the process
    may use, so where this machine has more CPUs both sides are pinned to the same `threads` ones:
    returns the taskset prefix for our process, or None."""
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    if len(os.sched_getaffinity(0)) <= threads:
        return None
    cpus = sorted(os.sched_getaffinity(0))[:threads]
    os.sched_setaffinity(0, cpus)  # theirs on the same CPUs
    return ["taskset", "-c", ",".join(map(str, cpus))]


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def cpu_line():
    """The CPU and whether our TensorFlow runs its oneDNN kernels (scripts/tf_cpu_line)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "tf_cpu_line")
    return subprocess.run([script], check=True, capture_output=True, text=True).stdout.strip()


def interleaved(theirs, ours, name, rounds, modes):
    """Fastest of `rounds` per side and mode; each round runs theirs then ours for every mode."""
    best = {(side, m): float("inf") for side in ("theirs", "ours") for m in modes}
    for _ in range(rounds):
        for m in modes:
            best[("theirs", m)] = min(best[("theirs", m)], theirs.run(m))
            best[("ours", m)] = min(best[("ours", m)], ours.run(name, m))
    return best


def shown_args():
    """argv without the machine's classpath."""
    out = []
    for i, arg in enumerate(sys.argv[1:]):
        out.append("CP" if i > 0 and sys.argv[i] == "--java-cp" else arg)
    return out
