#!/usr/bin/env python3
"""Benchmark `nslab run --yes` against a shell script doing the same work
through util-linux.

For the shipped lessons (or the files given), it

1. runs `nslab run --yes --format json` and collects each step's own overhead
   (`overhead_us`: the whole step minus the command it ran);
2. writes, from the parsed lessons (`nslab lesson-json`), one bash script per
   lesson that does the same operations with util-linux: a lab (`unshare -m -u
   -i -n -C -p -f --mount-proc`, a tmpfs on /run), `unshare --fork
   --kill-child … sleep infinity &` for `start`, `nsenter -t PID -a` for `run
   in`, `unshare` for `unshare`, `mount --bind /proc/PID/ns/KIND FILE` for
   `pin`, `umount`, `kill`, `lsns`, with the files the lesson carries put
   in the run folder and each step's `stdin:` given to its command; and, as nslab does, reads every known
   process's /proc/PID/ns before and after each step, and runs `lsns -J`
   after a step whose expectations need the listing;
3. times the two alternately, RUNS times each, and prints the medians and
   their ratio, the median and 90th percentile of nslab's overhead per
   step, and what each adds beyond the lessons' own commands (their time as
   nslab measured it around each, subtracted from both).

Usage: bench/runner.py [LESSON...]   (run as root; RUNS=N, NSLAB=path)
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NSLAB = os.environ.get("NSLAB", os.path.join(ROOT, "target/release/nslab"))
RUNS = int(os.environ.get("RUNS", "5"))
FLAGS = {"cgroup": "-C", "ipc": "-i", "mnt": "-m", "net": "-n", "pid": "-p", "time": "-T", "user": "-U", "uts": "-u"}
LISTING = {"in_lsns", "gone_from_lsns", "nprocs", "pinned_at"}


def var(name):
    return "P_" + name.upper().replace("-", "_")


def observe(names):
    """Reads every known process's namespaces, as nslab's snapshot does."""
    procs = " ".join(f"${var(n)}" for n in sorted(names))
    # One `ls -l` per process reads all its links: the cheapest a shell can do.
    return f"for p in 1 {procs}; do ls -l /proc/$p/ns/; done >/dev/null 2>&1\n"


def script_for(lesson):
    out = ["set -u", "mount -t tmpfs tmpfs /run", "mkdir -p /run/nslab", "cd /run/nslab", "export NSLAB_RUN_DIR=/run/nslab"]
    names = set()
    for step in lesson["steps"]:
        action = step["action"]["value"]
        # A step's `stdin:` goes to its command, as nslab gives it.
        stdin = "</dev/null"
        if step.get("stdin"):
            text = step["stdin"] if step["stdin"].endswith("\n") else step["stdin"] + "\n"
            stdin = f"<<'NSLAB_BENCH_STDIN'\n{text}NSLAB_BENCH_STDIN\n"
        # Files the lesson carries go in the run folder first, as nslab puts them.
        for f in step.get("files", []):
            text = f["text"] if f["text"].endswith("\n") else f["text"] + "\n"
            out.append(f"cat > {shlex.quote(f['name'])} <<'NSLAB_BENCH_EOF'\n{text}NSLAB_BENCH_EOF")
        out.append(observe(names))
        t = action["type"]
        if t == "start":
            flags = " ".join(FLAGS[k] for k in action["kinds"])
            if "user" in action["kinds"]:
                flags += " -r"
            enter = f"nsenter -a -t ${var(action['inside'])} " if action.get("inside") else ""
            n = action["name"]
            out.append(f"{enter}unshare --fork --kill-child {flags} sleep infinity & w=$!")
            out.append(f"while ! {var(n)}=$(pgrep -P $w); do :; done")
            names.add(n)
        elif t == "run":
            target = action["target"]
            env = " ".join(f"NSLAB_PID_{n.upper().replace('-', '_')}=${var(n)}" for n in sorted(names))
            cmd = shlex.quote(action["command"])
            if target["in"] == "host":
                out.append(f"{env} timeout 10 sh -c {cmd} >/dev/null 2>&1 {stdin}")
            elif target["in"] == "process":
                out.append(f"{env} timeout 10 nsenter -a -t ${var(target['name'])} sh -c {cmd} >/dev/null 2>&1 {stdin}")
            else:
                out.append(f"{env} timeout 10 nsenter --net=/run/nslab/{target['name']} sh -c {cmd} >/dev/null 2>&1 {stdin}")
        elif t == "unshare":
            flags = " ".join(FLAGS[k] for k in action["kinds"])
            out.append(f"timeout 10 unshare {flags} sh -c {shlex.quote(action['command'])} >/dev/null 2>&1 {stdin}")
        elif t == "pin":
            pid = "1" if action["process"] == "host" else f"${var(action['process'])}"
            out.append(f"touch {action['pin']}; mount --bind /proc/{pid}/ns/{action['kind']} {action['pin']}")
        elif t == "unpin":
            out.append(f"umount {action['pin']}; rm -f {action['pin']}")
        elif t == "stop":
            out.append(f"kill -9 ${var(action['name'])}; while [ -e /proc/${var(action['name'])} ]; do :; done")
            names.discard(action["name"])
        elif t == "lsns":
            types = " ".join(f"-t {k}" for k in action["kinds"])
            out.append(f"lsns {types} >/dev/null")
        elif t == "your_turn" and step.get("exercise"):
            out.append(f"timeout 10 sh -c {shlex.quote(step['exercise']['solution'])} </dev/null >/dev/null 2>&1")
        out.append(observe(names))
        if any(e["value"]["type"] in LISTING for e in step["expectations"]):
            out.append("lsns -J >/dev/null")
    out.append("kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; true")
    return "\n".join(out) + "\n"


def timed(argv):
    start = time.perf_counter_ns()
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter_ns() - start) / 1e6


def main():
    paths = sys.argv[1:] or [os.path.join(ROOT, "lessons")]
    lessons = json.loads(subprocess.run([NSLAB, "lesson-json", *paths], capture_output=True, text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="nslab-bench-") as tmp:
        scripts = []
        for lesson in lessons:
            path = os.path.join(tmp, lesson["meta"]["id"] + ".sh")
            with open(path, "w") as f:
                f.write(script_for(lesson))
            scripts.append(path)
        state = os.path.join(tmp, "state")
        env = dict(os.environ, XDG_STATE_HOME=state)
        # nslab's own overhead per step, from its JSON events.
        events = subprocess.run([NSLAB, "run", "--yes", "--format", "json", *paths], capture_output=True, text=True, env=env).stdout
        overheads = [json.loads(l)["overhead_us"] for l in events.splitlines() if '"overhead_us"' in l and '"step_skipped"' not in l]
        # The lessons' own commands (cc, python3, ip, ping…), timed by nslab
        # around each one: the same work in both, whoever runs it.
        commands = sum((e.get("command") or {}).get("elapsed_ms", 0) for e in map(json.loads, events.splitlines()) if isinstance(e.get("command"), dict))
        shell = ["sh", "-c", "for s in " + " ".join(shlex.quote(s) for s in scripts) + "; do unshare -m -u -i -n -C -p -f --mount-proc --propagation private bash $s; done"]
        ours, theirs = [], []
        for _ in range(RUNS):
            ours.append(timed([NSLAB, "run", "--yes", "--format", "json", *paths]))
            theirs.append(timed(shell))
        o, t = statistics.median(ours), statistics.median(theirs)
        overheads.sort()
        p90 = overheads[int(len(overheads) * 0.9)] if overheads else 0
        print(f"lessons: {len(lessons)}, steps: {sum(len(l['steps']) for l in lessons)}, runs: {RUNS} each, alternating")
        print(f"nslab run --yes:        median {o:8.1f} ms")
        print(f"util-linux shell:       median {t:8.1f} ms")
        print(f"ratio nslab/shell:      {o / t:.2f}")
        # What each adds to the commands: nslab's labs, snapshots and checks
        # against the scripts' unshare, nsenter, ls and lsns processes.
        print(f"the commands themselves: {commands:8.1f} ms (from nslab's JSON)")
        print(f"beyond the commands:     nslab {o - commands:.1f} ms, shell {t - commands:.1f} ms, ratio {(o - commands) / max(t - commands, 1):.2f}")
        print(f"nslab overhead per step: median {statistics.median(overheads) / 1000:.2f} ms, p90 {p90 / 1000:.2f} ms ({len(overheads)} steps)")
        if os.environ.get("PER_LESSON"):
            # Each lesson on its own, to find where the two differ.
            print(f"{'lesson':<12} {'nslab':>9} {'shell':>9} {'ratio':>6}")
            for lesson, script in zip(lessons, scripts):
                wrapped = ["unshare", "-m", "-u", "-i", "-n", "-C", "-p", "-f", "--mount-proc", "--propagation", "private", "bash", script]
                ours, theirs = [], []
                for _ in range(RUNS):
                    ours.append(timed([NSLAB, "run", "--yes", "--format", "json", lesson["source_path"]]))
                    theirs.append(timed(wrapped))
                o, t = statistics.median(ours), statistics.median(theirs)
                print(f"{lesson['meta']['id']:<12} {o:7.1f}ms {t:7.1f}ms {o / t:6.2f}")


if __name__ == "__main__":
    main()
