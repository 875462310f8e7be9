#!/usr/bin/env bash
# Benchmark: how fast the exporter's log tailer ingests a backlog of logs rows, against a raw fetch of the same rows
# and columns with the database's command-line client (mariadb --quick or psql; the floor) measured in the same run.
# Usage: [BENCH_DB=postgres] bench/tailer_ingest.sh [--rows N] [--runs R] [--batch-sizes "5000 20000"]
# Prints the table on stdout; progress on stderr. Ports 24000-24001.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS=1000000 RUNS=3 BATCH_SIZES="5000 20000"
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --batch-sizes) BATCH_SIZES=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--runs R] [--batch-sizes \"5000 20000\"]" >&2; exit 2 ;;
  esac
done
DB_PORT=24000 API_PORT=24001

bench_init
bench_build
DB=$BENCH_DIR/db
bench_db_start "$DB" "$DB_PORT"
bench_db_load "$DB" "$DB_PORT" "$ROWS" 2000
total=$(sql "$DB" "SELECT COUNT(*) FROM logs WHERE id > 0")
COLUMNS=$(log_columns)

raw_fetch() { ro_sql "$DB_PORT" "SELECT $COLUMNS FROM logs WHERE id > 0 ORDER BY id" >/dev/null; }
case $DB_ENGINE in mysql) RAW_CLIENT="raw mariadb --quick" ;; postgres) RAW_CLIENT="raw psql" ;; esac

# CPU seconds (user + system) the process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

say "warm-up: one untimed raw fetch of $total rows"
raw_fetch
raw_times=()
for run in $(seq 1 "$RUNS"); do
  t0=$(now_ms); raw_fetch; t=$(( $(now_ms) - t0 ))
  raw_times+=("$(awk -v t="$t" 'BEGIN { printf "%.2f", t / 1000 }')")
  say "raw fetch run $run: ${raw_times[-1]} s"
done
raw_median=$(median "${raw_times[@]}")

declare -A exp_times exp_cpu
for batch in $BATCH_SIZES; do
  times=() cpus=()
  for run in $(seq 1 "$RUNS"); do
    pidfile=$BENCH_DIR/exporter.pid
    t0=$(now_ms)
    exporter_start "$pidfile" "$BENCH_DIR/exporter-$batch-$run.log" "$DB_PORT" "$API_PORT" \
      TAIL_START_ID=0 TAIL_BATCH_SIZE="$batch"
    pid=$(cat "$pidfile")
    until metric_at_least "$API_PORT" newapi_exporter_rows_read_total "$total"; do
      kill -0 "$pid" 2>/dev/null || { say "the exporter exited:"; tail -n 5 "$BENCH_DIR/exporter-$batch-$run.log" >&2; exit 1; }
      [ $(( $(now_ms) - t0 )) -gt 900000 ] && { say "the exporter did not read $total rows in 15 min"; exit 1; }
      sleep 0.1
    done
    t=$(( $(now_ms) - t0 ))
    cpus+=("$(cpu_seconds "$pid")")
    stop_pidfile "$pidfile" 10
    times+=("$(awk -v t="$t" 'BEGIN { printf "%.2f", t / 1000 }')")
    say "exporter batch $batch run $run: ${times[-1]} s wall, ${cpus[-1]} s CPU"
  done
  exp_times[$batch]="${times[*]}"
  exp_cpu[$batch]=$(median "${cpus[@]}")
done

rate() { awk -v n="$total" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
echo
echo "tailer_ingest: $total logs rows, $(log_columns | awk -F, '{ print NF }') columns, median of $RUNS runs"
bench_conditions
printf '%-24s %9s %10s %8s %9s  %s\n' side "median s" "rows/s" "vs raw" "CPU s" "runs (s)"
printf '%-24s %9s %10s %8s %9s  %s\n' "$RAW_CLIENT" "$raw_median" "$(rate "$raw_median")" 1.00 - "${raw_times[*]}"
for batch in $BATCH_SIZES; do
  # shellcheck disable=SC2086
  m=$(median ${exp_times[$batch]})
  printf '%-24s %9s %10s %8s %9s  %s\n' "exporter batch $batch" "$m" "$(rate "$m")" \
    "$(ratio "$(rate "$m")" "$(rate "$raw_median")")" "${exp_cpu[$batch]}" "${exp_times[$batch]}"
done
echo "goal: exporter rows/s >= 0.5 x raw. Exporter time is wall time from process start until"
echo "newapi_exporter_rows_read_total = $total (polled every 100 ms); CPU s is the exporter's user+system time."
