#!/usr/bin/env bash
# Soak test (not in CI): interrupts `nslab run --yes lessons/` N times at random
# moments with SIGINT, SIGTERM or SIGKILL, and counts the runs that left
# anything behind: a namespace, an nsfs mount, a process, a changed host name.
#   sudo scripts/soak.sh [N=1000] [NSLAB=target/release/nslab]
set -u
n=${1:-1000}
nslab=${NSLAB:-target/release/nslab}
lessons=${LESSONS:-lessons}
state=$(mktemp -d); trap 'rm -rf "$state"' EXIT
snapshot() {
  "$nslab" lsns -J -l -o NS | grep -o '"ns": *[0-9]*' | sort
  grep ' - nsfs ' /proc/self/mountinfo
  pgrep -f '[l]ab-init' | sort
  hostname
}
before=$(snapshot)
leaks=0
signals=(INT TERM KILL)
for i in $(seq 1 "$n"); do
  XDG_STATE_HOME=$state "$nslab" run --yes "$lessons" >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r / 32768 * 1.5 }')"
  sig=${signals[RANDOM % 3]}
  kill -"$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  # After SIGKILL the lab's processes are reaped by the machine's init, and
  # the kernel frees some namespaces a moment later: allow ten seconds.
  ok=0
  for _ in $(seq 1 200); do
    if [ "$(snapshot)" = "$before" ]; then ok=1; break; fi
    sleep 0.05
  done
  if [ $ok = 0 ]; then
    leaks=$((leaks + 1))
    echo "run $i ($sig): left something behind"
    diff <(echo "$before") <(snapshot)
    before=$(snapshot)
  fi
  [ $((i % 50)) = 0 ] && echo "$i runs, $leaks left something behind"
done
echo "soak: $n interrupted runs, $leaks left something behind"
