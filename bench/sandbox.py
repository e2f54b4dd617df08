#!/usr/bin/env python3
"""The cost of the sandbox: `nslab run --yes` of a one-step lesson in the
sandboxed lab against the same with `--no-sandbox` (the lab as namespaces
only), alternately, RUNS times each; prints the medians and their
difference, which is the cost of entering the sandbox once per lesson
(staging the root file system, the lab's user namespace, pivot_root).

Usage: sudo bench/sandbox.py   (RUNS=N, NSLAB=path; as an ordinary user it
measures the rootless lab)
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NSLAB = os.environ.get("NSLAB", os.path.join(ROOT, "target/release/nslab"))
RUNS = int(os.environ.get("RUNS", "31"))
LESSON = "---\nid: bench-sandbox\ntitle: One step\n---\n\n```nslab\nrun: true\nexpect: status 0\n```\n"


def once(path, flags):
    started = time.perf_counter_ns()
    subprocess.run([NSLAB, "run", "--yes", *flags, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter_ns() - started) / 1e6


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "one.md")
        with open(path, "w") as f:
            f.write(LESSON)
        once(path, []), once(path, ["--no-sandbox"])  # warm the caches
        sandbox, plain = [], []
        for _ in range(RUNS):
            sandbox.append(once(path, []))
            plain.append(once(path, ["--no-sandbox"]))
    diffs = [s - p for s, p in zip(sandbox, plain)]
    print(f"runs: {RUNS} each, alternating, {'as root' if os.geteuid() == 0 else 'rootless'}")
    print(f"sandboxed lab:   median {statistics.median(sandbox):7.2f} ms")
    print(f"--no-sandbox:    median {statistics.median(plain):7.2f} ms")
    print(f"the sandbox costs {statistics.median(diffs):+.2f} ms per lesson (median of the pairwise differences)")
    print(f"ratio: {statistics.median(sandbox) / statistics.median(plain):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
