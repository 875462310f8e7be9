#!/usr/bin/env bash
# Benchmark: the exporter's resident memory (VmRSS) with many distinct tokens active in the Top-K window, against a
# baseline with few. Each case: a fresh exporter at the end of a small simulator history, VmRSS, then ROWS consume
# rows (type 2) inserted at once (MariaDB's sequence engine, PostgreSQL's generate_series) with TOKENS distinct token_id / user_id (and
# token_name / username), read by the tailer, a Top-K publish (every 5 s), VmRSS again. Both cases insert the same
# number of rows, so the difference between their growth is what the extra tokens (and their users) cost.
# Usage: [BENCH_DB=postgres] bench/tailer_memory.sh [--tokens 100000] [--baseline-tokens 1000] [--rows 100000]
# Prints the table on stdout; progress on stderr. Ports 24020-24021.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TOKENS=100000 BASE_TOKENS=1000 ROWS=100000
while [ $# -gt 0 ]; do
  case $1 in
    --tokens) TOKENS=$2; shift 2 ;;
    --baseline-tokens) BASE_TOKENS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    *) echo "usage: $0 [--tokens N] [--baseline-tokens N] [--rows N]" >&2; exit 2 ;;
  esac
done
[ "$TOKENS" -le "$ROWS" ] || { echo "--tokens must not exceed --rows" >&2; exit 2; }
DB_PORT=24020 API_PORT=24021

bench_init
bench_build
DB=$BENCH_DIR/db
bench_db_start "$DB" "$DB_PORT"
bench_db_load "$DB" "$DB_PORT" 20000 200

# insert_consume_rows N_DISTINCT: ROWS consume rows, row k of token/user (k mod N_DISTINCT), ids far above the
# simulator's so that the names and ids are new to the exporter.
insert_consume_rows() {
  sql "$DB" "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota,
      prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, other)
    SELECT 1000000 + k, $(sql_unix_now), 2, '', CONCAT('bench-user-', k), CONCAT('bench-token-', k),
      CASE seq % 4 WHEN 0 THEN 'gpt-4o' WHEN 1 THEN 'gpt-4o-mini' WHEN 2 THEN 'claude-3-5-sonnet' ELSE 'deepseek-chat' END,
      100 + seq % 900,
      200 + seq % 1000, 50 + seq % 500, 1 + seq % 20, seq % 2 = 1, 1 + seq % 3, 2000000 + k, 'default', '', '{}'
    FROM (SELECT seq, seq % $1 AS k FROM $(sql_numbers "$ROWS")) AS s"
}

# run_case N_DISTINCT: sets CASE="rss_before_kB rss_after_kB".
run_case() {
  local n=$1 pidfile=$BENCH_DIR/exporter-$1.pid pid start before after max_id
  exporter_start "$pidfile" "$BENCH_DIR/exporter-$n.log" "$DB_PORT" "$API_PORT"
  pid=$(cat "$pidfile")
  wait_until 30 tail_running "$API_PORT" || { say "the tailer did not start"; exit 1; }
  max_id=$(sql "$DB" "SELECT MAX(id) FROM logs")
  caught_up() { [ "$(metric "$API_PORT" newapi_exporter_tail_last_id)" = "$max_id" ]; }
  wait_until 30 caught_up || { say "the tailer did not start at id $max_id"; exit 1; }
  sleep 6  # the first Top-K publish and the entities refresh, so that "before" is the steady idle state
  before=$(rss_kb "$pid")
  say "$n distinct tokens: VmRSS before ${before} kB; inserting $ROWS consume rows"
  start=$(metric "$API_PORT" newapi_exporter_rows_read_total)
  insert_consume_rows "$n"
  wait_until 120 metric_at_least "$API_PORT" newapi_exporter_rows_read_total "$(awk -v s="$start" -v r="$ROWS" 'BEGIN { print s + r }')" ||
    { say "the tailer did not read the $ROWS rows"; exit 1; }
  sleep 6  # at least one Top-K publish (every 5 s) after the last row
  after=$(rss_kb "$pid")
  say "$n distinct tokens: VmRSS after ${after} kB"
  stop_pidfile "$pidfile" 10
  CASE="$before $after"
}

run_case "$BASE_TOKENS"; read -r base_before base_after <<<"$CASE"
run_case "$TOKENS"; read -r big_before big_after <<<"$CASE"

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "tailer_memory: VmRSS of newapi-exporter, $ROWS consume rows inserted after start, Top-K window 60 min"
bench_conditions
printf '%-16s %12s %12s %12s\n' "distinct tokens" "before MiB" "after MiB" "growth MiB"
printf '%-16s %12s %12s %12s\n' "$BASE_TOKENS" "$(mb "$base_before")" "$(mb "$base_after")" "$(mb $((base_after - base_before)))"
printf '%-16s %12s %12s %12s\n' "$TOKENS" "$(mb "$big_before")" "$(mb "$big_after")" "$(mb $((big_after - big_before)))"
per=$(awk -v a=$((big_after - big_before)) -v b=$((base_after - base_before)) -v n=$((TOKENS - BASE_TOKENS)) \
  'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
echo "bytes per tracked token: $per  (= (growth $TOKENS - growth $BASE_TOKENS) / $((TOKENS - BASE_TOKENS)) extra tokens;"
echo "each token row also brings a distinct user, so this is the cost of one token + one user in the Top-K window)"
