#!/usr/bin/env bash
# Benchmark `nslab lsns -J` against util-linux `lsns -J` with many processes.
#
# Usage: bench/lsns.sh [NPROCS...]          (default: 500 2000 8000)
#
# Environment:
#   NSLAB=path         the nslab binary (default: target/release/nslab, built if missing)
#   LSNS=path          util-linux lsns (default: lsns from PATH)
#   RUNS=N             timed runs per tool and process count (default 11)
#   RUNS_LARGE=N       runs used instead when one util-linux run exceeds
#                      LARGE_MS milliseconds (default 3)
#   LARGE_MS=N         that threshold (default 10000)
#   STRACE=1           also print `strace -c -f` summaries (top 8 syscalls by
#                      time) of one run of each tool at every N
#
# For each process count N it starts N idle processes (one python3 parent in its
# own session forking N children that exec `sleep infinity`; N+1 processes in all),
# checks that both tools find the same namespaces, then times the two tools in
# alternation (nslab, lsns, nslab, lsns, ...) with wall-clock nanoseconds
# (time.perf_counter_ns around subprocess.run, stdout to /dev/null) and CPU time
# (getrusage of the child), after one untimed warm-up run of each. It prints the
# medians, the median of the per-pair ratios nslab/util-linux, and the
# per-process cost (median / N), and at the end Markdown tables.
#
# The idle processes are always killed and reaped (EXIT/INT/TERM trap), and the
# script checks that none are left. No sysctl is changed unless pid_max or
# threads-max is too small for N; then it is raised for the run and restored.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

RUNS=${RUNS:-11}
RUNS_LARGE=${RUNS_LARGE:-3}
LARGE_MS=${LARGE_MS:-10000}
LSNS=${LSNS:-$(command -v lsns || true)}
MARK=nslab-bench-idle
if [[ $# -gt 0 ]]; then sizes=("$@"); else sizes=(500 2000 8000); fi

die() { echo "bench/lsns.sh: $*" >&2; exit 1; }

for n in "${sizes[@]}"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a process count: $n"; done
[[ $RUNS =~ ^[1-9][0-9]*$ && $RUNS_LARGE =~ ^[1-9][0-9]*$ ]] || die "RUNS and RUNS_LARGE must be positive integers"
[[ -n $LSNS && -x $LSNS ]] || die "util-linux lsns not found (set LSNS=)"
command -v python3 >/dev/null || die "python3 is needed"
[[ ${STRACE:-0} != 1 ]] || command -v strace >/dev/null || die "STRACE=1 needs strace"
SLEEP=$(command -v sleep) || die "sleep is needed"
PY=$(python3 -c 'import sys; print(sys.executable)')   # past any pyenv shim

if [[ -z ${NSLAB:-} ]]; then
    NSLAB=$repo/target/release/nslab
    if [[ ! -x $NSLAB ]]; then
        echo "building $NSLAB ..." >&2
        (cd "$repo" && cargo build --release) || die "build failed; set NSLAB=path/to/a/built/nslab"
    fi
fi
[[ -x $NSLAB ]] || die "no executable nslab at $NSLAB"
NSLAB=$(cd "$(dirname "$NSLAB")" && pwd)/$(basename "$NSLAB")

work=$(mktemp -d /tmp/nslab-bench.XXXXXX)
spawner_pid=
restore_sysctls=()

# The spawner: forks N children that exec `sleep infinity` with argv[0] set to
# the marker and only fds 0-2 open, like a sleep started from a shell (the cost
# depends on it: nslab reads every fd link). About 0.2 MB each (python children
# that merely pause() cost about 1 MB each). SIGTERM makes it SIGKILL and reap
# every child before exiting; each child also asks for SIGKILL should the
# spawner die first (PR_SET_PDEATHSIG, kept across exec), and the spawner asks
# for SIGTERM should the script die (even by SIGKILL).
spawner='
import ctypes, os, signal, sys
n, ready, mark, sleep, script = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
parent = os.getpid()
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: clean up even if the script is SIGKILLed
if os.getppid() != script:
    sys.exit("the benchmark script is gone")
class Stop(Exception): pass
def stop(sig, frame): raise Stop()
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
kids = []
try:
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                if os.getppid() == parent:
                    os.closerange(3, 1 << 20)  # 3 fds each (0-2), whatever the caller leaks
                    os.execv(sleep, [mark, "infinity"])
            finally:
                os._exit(127)
        kids.append(pid)
    with open(ready + ".tmp", "w") as f:
        f.write(str(len(kids)))
    os.rename(ready + ".tmp", ready)
    while True:
        signal.pause()
except Stop:
    pass
finally:
    for pid in kids:
        try: os.kill(pid, signal.SIGKILL)
        except ProcessLookupError: pass
    for pid in kids:
        try: os.waitpid(pid, 0)
        except ChildProcessError: pass
'

# The timer: alternates the two commands, RUNS times each, stdout to /dev/null;
# prints one line per pair: nslab_wall_ns lsns_wall_ns nslab_cpu_ns lsns_cpu_ns
# (CPU = user + system time of the child, from getrusage(RUSAGE_CHILDREN)).
timer='
import resource, signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
runs = int(sys.argv[1])
cmds = [[sys.argv[2], "lsns", "-J"], [sys.argv[3], "-J"]]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def once(cmd):
    c0 = cpu()
    t0 = time.perf_counter_ns()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.perf_counter_ns()
    if r.returncode != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
    return t1 - t0, int((cpu() - c0) * 1e9)
for _ in range(runs):
    (wa, ca), (wb, cb) = once(cmds[0]), once(cmds[1])
    print(wa, wb, ca, cb, flush=True)
'

# Reads two lsns -J outputs and prints: count_a count_b same|differs [details].
compare='
import json, sys
def load(p):
    return {(n["ns"], n["type"]): n for n in json.load(open(p))["namespaces"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
out = [str(len(a)), str(len(b))]
if a.keys() == b.keys():
    out.append("same")
    diff = [k for k in a if a[k].get("nprocs") != b[k].get("nprocs") or a[k].get("pid") != b[k].get("pid")]
    if diff:
        out.append("(nprocs/pid differ for %d: %s)" % (len(diff), ", ".join("%s:%s nslab %s/%s util-linux %s/%s" % (t, i, a[k]["nprocs"], a[k]["pid"], b[k]["nprocs"], b[k]["pid"]) for k in diff[:8] for i, t in [k])))
else:
    out.append("differs")
    only_a = sorted(a.keys() - b.keys()); only_b = sorted(b.keys() - a.keys())
    out.append("(only nslab: %s; only util-linux: %s)" % (only_a[:5], only_b[:5]))
print(" ".join(out))
'

stop_spawner() {
    [[ -n $spawner_pid ]] || return 0
    local pid=$spawner_pid i
    spawner_pid=
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do          # up to 30 s for it to reap its children
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true  # the whole group (pgid = its pid)
    wait "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ $(pgrep -c -g "$pid" || true) == 0 ]] && break
        sleep 0.1
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_spawner
    local s
    for s in "${restore_sysctls[@]}"; do
        echo "${s#*=}" >"/proc/sys/kernel/${s%%=*}" && echo "restored kernel.${s%%=*} = ${s#*=}" >&2
    done
    rm -rf "$work"
    local left
    left=$(pgrep -c -f "$MARK" || true)
    if [[ $left != 0 ]]; then
        echo "bench/lsns.sh: WARNING: $left idle processes left (pgrep -f $MARK)" >&2
        rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nprocs_now() { local d c=0; for d in /proc/[0-9]*; do c=$((c + 1)); done; echo "$c"; }

# Raises kernel.$1 to at least $2 for the run (restored by the trap).
ensure_sysctl() {
    local name=$1 need=$2 cur
    cur=$(<"/proc/sys/kernel/$name")
    ((cur >= need)) && return 0
    [[ $EUID == 0 ]] || die "kernel.$name is $cur, need $need (run as root, or lower N)"
    restore_sysctls+=("$name=$cur")
    echo "$need" >"/proc/sys/kernel/$name"
    echo "raised kernel.$name from $cur to $need for this run" >&2
}

ensure_limits() {
    local n=$1 base need
    base=$(nprocs_now)
    need=$((base + n + 200))
    ensure_sysctl pid_max "$need"
    ensure_sysctl threads-max "$need"
    if [[ $EUID != 0 ]]; then           # root is not bound by RLIMIT_NPROC
        local cur
        cur=$(ulimit -u)
        if [[ $cur != unlimited ]] && ((cur < need)); then
            ulimit -u "$need" 2>/dev/null || die "ulimit -u is $cur, need $need"
        fi
    fi
}

start_idle() {
    local n=$1 ready=$work/ready i
    rm -f "$ready"
    setsid "$PY" -c "$spawner" "$n" "$ready" "$MARK" "$SLEEP" $$ </dev/null &
    spawner_pid=$!
    for ((i = 0; i < 3000; i++)); do       # up to 300 s (8000 take ~15 s)
        [[ -e $ready ]] && break
        kill -0 "$spawner_pid" 2>/dev/null || die "the spawner died"
        sleep 0.1
    done
    [[ -e $ready ]] || die "the spawner did not get ready"
    [[ $(<"$ready") == "$n" ]] || die "the spawner started $(<"$ready") of $n processes"
    [[ $(ps -o pgid= -p "$spawner_pid" | tr -d ' ') == "$spawner_pid" ]] || die "the spawner is not a group leader"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "nslab:      $NSLAB"
echo "util-linux: $LSNS ($("$LSNS" --version 2>&1 | head -1))"
echo "kernel:     $(uname -r), $(nproc) CPUs; pid_max $(</proc/sys/kernel/pid_max), threads-max $(</proc/sys/kernel/threads-max)"
echo "runs:       $RUNS per tool (alternating), $RUNS_LARGE if one util-linux run takes over $LARGE_MS ms"
[[ $EUID == 0 ]] || echo "note: not root; both tools then skip other users' namespaces"
baseline=$(nprocs_now)
echo "processes at rest: $baseline"
echo

rows=()
rows_pp=()
rows_cpu=()
for n in "${sizes[@]}"; do
    ensure_limits "$n"
    start_idle "$n"
    total=$(nprocs_now)
    echo "== N=$n idle processes (+1 spawner; $total processes in /proc)"

    # Warm-up, sanity check, and the size of one util-linux run.
    "$NSLAB" lsns -J >"$work/nslab.json"
    t0=$(date +%s%N)
    "$LSNS" -J >"$work/lsns.json"
    t1=$(date +%s%N)
    one_ms=$(((t1 - t0) / 1000000))
    read -r c_nslab c_lsns verdict extra < <("$PY" -c "$compare" "$work/nslab.json" "$work/lsns.json")
    echo "   namespaces: nslab $c_nslab, util-linux $c_lsns ($verdict) ${extra:-}"

    runs=$RUNS
    if ((one_ms > LARGE_MS)); then
        runs=$RUNS_LARGE
        echo "   one util-linux run took $one_ms ms > $LARGE_MS ms: $runs runs"
    fi

    "$PY" -c "$timer" "$runs" "$NSLAB" "$LSNS" >"$work/times"
    m_nslab=$(awk '{ print $1 / 1e6 }' "$work/times" | median)
    m_lsns=$(awk '{ print $2 / 1e6 }' "$work/times" | median)
    m_ratio=$(awk '{ print $1 / $2 }' "$work/times" | median)
    c_nslab=$(awk '{ print $3 / 1e6 }' "$work/times" | median)
    c_lsns=$(awk '{ print $4 / 1e6 }' "$work/times" | median)
    c_ratio=$(awk '$4 > 0 { print $3 / $4 }' "$work/times" | median)
    awk -v a="$m_nslab" -v b="$m_lsns" -v r="$m_ratio" -v n="$n" -v runs="$runs" 'BEGIN {
        printf "   util-linux lsns -J: median %9.2f ms  (%.4f ms/process = %.2f us)\n", b, b / n, b * 1000 / n
        printf "   nslab lsns -J:      median %9.2f ms  (%.4f ms/process = %.2f us)\n", a, a / n, a * 1000 / n
        printf "   ratio nslab/util-linux (median of %d pairs): %.3f = 1/%.1f\n", runs, r, 1 / r
    }'
    awk -v a="$c_nslab" -v b="$c_lsns" -v r="$c_ratio" 'BEGIN {
        printf "   CPU time (user+sys) medians: util-linux %.1f ms, nslab %.1f ms; ratio %.3f = 1/%.1f\n", b, a, r, 1 / r
    }'
    echo "   runs in ns (nslab-wall util-linux-wall nslab-cpu util-linux-cpu): $(paste -sd';' "$work/times")"
    rows+=("$(awk -v n="$n" -v a="$m_nslab" -v b="$m_lsns" -v r="$m_ratio" 'BEGIN {
        printf "| %d | %.1f | %.1f | %.3f (1/%.1f) |", n, b, a, r, 1 / r }')")
    rows_pp+=("$(awk -v n="$n" -v a="$m_nslab" -v b="$m_lsns" 'BEGIN {
        printf "| %d | %.4f | %.4f |", n, b / n, a / n }')")
    rows_cpu+=("$(awk -v n="$n" -v a="$c_nslab" -v b="$c_lsns" -v r="$c_ratio" 'BEGIN {
        printf "| %d | %.1f | %.1f | %.3f (1/%.1f) |", n, b, a, r, 1 / r }')")

    if [[ ${STRACE:-0} == 1 ]]; then
        for tool in nslab util-linux; do
            if [[ $tool == nslab ]]; then cmd=("$NSLAB" lsns -J); else cmd=("$LSNS" -J); fi
            strace -c -f -o "$work/strace" "${cmd[@]}" >/dev/null
            echo "   strace -c -f ${cmd[*]} (top 8 by time):"
            awk 'NR <= 2 { print "     " $0; next } /^-/ { exit } { print "     " $0 }' "$work/strace" | head -10
            awk '/^-/ { n++ } n == 2 { getline; print "     " $0; exit }' "$work/strace"
        done
    fi

    stop_spawner
    left=$(pgrep -c -f "$MARK" || true)
    [[ $left == 0 ]] || die "$left idle processes still alive after N=$n"
    echo
done

after=$(nprocs_now)
echo "processes at rest afterwards: $after (before: $baseline); idle processes left: $(pgrep -c -f "$MARK" || true)"
echo
echo "| processes | util-linux lsns -J (ms) | nslab lsns -J (ms) | ratio |"
echo "|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "| processes | util-linux (ms/process) | nslab (ms/process) |"
echo "|---:|---:|---:|"
printf '%s\n' "${rows_pp[@]}"
echo
echo "| processes | util-linux CPU (ms) | nslab CPU (ms) | CPU ratio |"
echo "|---:|---:|---:|---:|"
printf '%s\n' "${rows_cpu[@]}"
