#!/usr/bin/env bash
# Benchmarks newapi-aggregator: the cost of a regular pass over the same volume of new rows on a small and a large
# logs table (goal: large/small <= 1.3), the full backfill rate, and the exporter's start-up time from the baseline.
# Usage: [BENCH_DB=postgres] bench/aggregator_cost.sh [SMALL_ROWS] [LARGE_ROWS]   (defaults 500000 5000000; NEW_ROWS=20000)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SMALL=${1:-500000} LARGE=${2:-5000000} NEW_ROWS=${NEW_ROWS:-20000} RUNS=${RUNS:-3}
AGGREGATOR_BIN=$BUILD_DIR/aggregator/newapi-aggregator
# History ends 4 hours ago: its hours are finalized by the backfill, so a regular pass (the open hours) reads only
# the new rows, whatever the table's size.
HISTORY_END=$(( $(date +%s) - 4 * 3600 ))

bench_init
bench_build newapi-aggregator

aggregate_once() {
  (export DB_TYPE=$DB_ENGINE DB_PORT=$1 DB_PASS_AGG=bench-agg; exec "$AGGREGATOR_BIN" --once) >>"$2" 2>&1
}

declare -A backfill first_pass repeat_pass startup
port=24060
for size in "$SMALL" "$LARGE"; do
  dir=$BENCH_DIR/db-$size
  bench_db_start "$dir" "$port"
  bench_db_load "$dir" "$port" "$size" 2000
  say "backfill of $size rows"
  backfill[$size]=$(seconds_of aggregate_once "$port" "$dir/aggregator.log")
  # Each run adds the same NEW_ROWS rows (copies of the newest, stamped in the last 10 minutes), times the pass that
  # writes them, then deletes them again and lets an untimed pass remove them from the observer's tables: every timed
  # pass starts from the same tables. After the last run the rows stay: the next passes find nothing changed (the
  # steady state between bursts of traffic).
  last_id=$(sql "$dir" "SELECT MAX(id) FROM logs")
  times=()
  for run in $(seq 1 "$RUNS"); do
    say "adding $NEW_ROWS new rows stamped in the last 10 minutes (run $run)"
    sql "$dir" "INSERT INTO logs (user_id, created_at, type, content, username, token_name, model_name, quota,
        prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, request_id, other)
      SELECT user_id, $(sql_unix_now) - id % 600, type, content, username, token_name, model_name, quota, prompt_tokens,
        completion_tokens, use_time, is_stream, channel_id, token_id, \"group\", ip, request_id, other
      FROM logs WHERE id <= $last_id ORDER BY id DESC LIMIT $NEW_ROWS"
    times+=("$(seconds_of aggregate_once "$port" "$dir/aggregator.log")")
    if [ "$run" -lt "$RUNS" ]; then
      sql "$dir" "DELETE FROM logs WHERE id > $last_id"
      aggregate_once "$port" "$dir/aggregator.log"
    fi
  done
  first_pass[$size]=$(median "${times[@]}")
  say "passes over $NEW_ROWS new rows: ${times[*]} s"
  times=()
  for _ in $(seq 1 "$RUNS"); do times+=("$(seconds_of aggregate_once "$port" "$dir/aggregator.log")"); done
  repeat_pass[$size]=$(median "${times[@]}")
  say "repeated passes: ${times[*]} s"
  times=()
  for run in $(seq 1 "$RUNS"); do
    t0=$(now_ms)
    exporter_start "$dir/exporter.pid" "$dir/exporter-$run.log" "$port" $((port + 1))
    from_baseline() { [ "$(metric $((port + 1)) 'newapi_exporter_baseline_info{source="agg_usage_hourly"}')" = 1 ] &&
                      tail_running $((port + 1)); }
    wait_until 300 from_baseline
    times+=("$(awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.3f", ms / 1000 }')")
    stop_pidfile "$dir/exporter.pid" 10
  done
  startup[$size]=$(median "${times[@]}")
  say "exporter start-up from the baseline: ${times[*]} s"
  bench_db_stop "$dir"
  port=$((port + 10))
done

echo "newapi-aggregator benchmark $(bench_conditions)"
printf '%-44s %14s %14s %12s\n' "" "$SMALL rows" "$LARGE rows" "large/small"
printf '%-44s %14s %14s %12s\n' "pass writing $NEW_ROWS new rows (s, median)" "${first_pass[$SMALL]}" "${first_pass[$LARGE]}" \
  "$(ratio "${first_pass[$LARGE]}" "${first_pass[$SMALL]}")"
printf '%-44s %14s %14s %12s\n' "repeated pass, same rows (s, median)" "${repeat_pass[$SMALL]}" "${repeat_pass[$LARGE]}" \
  "$(ratio "${repeat_pass[$LARGE]}" "${repeat_pass[$SMALL]}")"
printf '%-44s %14s %14s %12s\n' "full backfill (s)" "${backfill[$SMALL]}" "${backfill[$LARGE]}" \
  "$(ratio "${backfill[$LARGE]}" "${backfill[$SMALL]}")"
printf '%-44s %14.0f %14.0f %12s\n' "full backfill (rows/s)" "$(awk -v r="$SMALL" -v s="${backfill[$SMALL]}" 'BEGIN { print r / s }')" \
  "$(awk -v r="$LARGE" -v s="${backfill[$LARGE]}" 'BEGIN { print r / s }')" ""
printf '%-44s %14s %14s %12s\n' "exporter start-up from the baseline (s, median)" "${startup[$SMALL]}" "${startup[$LARGE]}" \
  "$(ratio "${startup[$LARGE]}" "${startup[$SMALL]}")"
