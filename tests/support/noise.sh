#!/usr/bin/env bash
# Noise beside the tests: other programs on the machine creating and
# destroying namespaces and `sleep 300` processes all the time, as a
# browser's sandbox or a container engine does on a learner's laptop. The
# tests must judge only what they started, so they pass with this running.
#
#   setsid bash tests/support/noise.sh &  noise=$!
#   cargo test
#   kill -TERM "$noise"; wait "$noise"    # it ends what it started, then itself
#
# Runs until TERM or INT, then kills everything it started (children before
# parents, so nothing is orphaned) and exits 0.
# As an ordinary user it makes its namespaces inside a user namespace.
set -u
root=()
[ "$(id -u)" -eq 0 ] || root=(-r)
pids=()
# Ends a process and what it started, children first, so that nothing is
# orphaned to pid 1 (which may never reap it).
end() {
  if pkill -KILL -P "$1" 2>/dev/null; then
    # It reaps its children and ends by itself.
    wait "$1" 2>/dev/null
  else
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
  fi
}
stop() {
  trap - TERM INT
  for p in "${pids[@]}"; do end "$p"; done
  wait 2>/dev/null
  exit 0
}
trap stop TERM INT
while :; do
  # Namespaces that live a while, held by `sleep 300`s.
  unshare "${root[@]}" -n -u -i -m sleep 300 & pids+=($!)
  unshare "${root[@]}" -p sh -c 'sleep 300 & wait' & pids+=($!)
  unshare "${root[@]}" -C -n sleep 300 & pids+=($!)
  sleep 300 & pids+=($!)
  # Namespaces that come and go at once.
  unshare "${root[@]}" -n -u true
  sleep 0.1 & wait $!
  # Keep about a dozen alive: the oldest go.
  while [ ${#pids[@]} -gt 12 ]; do
    end "${pids[0]}"
    pids=("${pids[@]:1}")
  done
done
