#!/usr/bin/env bash
# Streaming risk rules: rows/s through all four rules and the memory their windows take, with 100k active tokens and
# 20k IPs (the issue's load) and with a small gateway's 2k tokens and 1k IPs, each against a baseline pass over the
# same rows in the same run (a count per token in a hash map). No database: rows are generated in memory.
# Usage: bench/rules_engine.sh [rows]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROWS=${1:-2000000}
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cmake -S "$REPO_ROOT" -B "$BUILD_DIR" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target rules_engine_bench >/dev/null
fi
for subjects in "100000 20000" "2000 1000"; do
  read -r tokens ips <<<"$subjects"
  echo "== $tokens tokens, $ips IPs"
  "$BUILD_DIR/bench/rules_engine_bench" "$ROWS" "$tokens" "$ips"
done
