#!/usr/bin/env bash
# Fuzzes the lesson parser (fuzz/fuzz_targets/parse.rs) for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain; without
# `cargo +nightly`, stable is used with RUSTC_BOOTSTRAP=1. New corpus entries go to
# fuzz/corpus/parse (git-ignored); the lesson fixtures seed it. A crash or a hang
# (an input taking over 5 s) stops the run and is saved under fuzz/artifacts/parse/.
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 1
fi
if cargo +nightly --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
fi

corpus=fuzz/corpus/parse
mkdir -p "$corpus"
find tests/fixtures/lessons -name '*.md' -exec cp -t "$corpus" {} +

"${cargo[@]}" fuzz run --fuzz-dir fuzz parse "$corpus" -- \
    -max_total_time="$seconds" \
    -timeout=5 \
    -max_len=16384 \
    -dict=fuzz/parse.dict \
    -print_final_stats=1
