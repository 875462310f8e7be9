#!/usr/bin/env bash
# Benchmark: the exporter's steady-state cost per poll and per scrape must not grow with the size of `logs`.
# For each table size (default 500k and 5M rows; the smallest is the baseline) the exporter starts at the end of
# the table and, once caught up, is measured over two windows: idle (no writes) and live (newapi-sim live, ~50 rows/s):
#   /metrics latency     p50/p99 of N sequential `curl -w %{time_total}` requests (default 200); the median
#                        size of the answer is shown too (labelled series appear once rows are counted)
#   rows examined/poll   Rows_examined of the exporter's queries on logs (tail and hole re-checks), from the slow
#                        log (long_query_time=0, min_examined_row_limit=0, log_slow_filter=''), summed and divided
#                        by the tail polls = the number of `... WHERE id > c` queries in the window
#   handler reads/poll   delta of the sum of SHOW GLOBAL STATUS Handler_read_* (first, key, last, next, prev, retry,
#                        rnd, rnd_deleted, rnd_next) over the window, less the cost of the SHOW itself, per poll;
#                        server-wide: exact for the exporter in the idle window, but the live window includes the
#                        simulator's writes (its quota_data updates scan a table that grows with the history)
#   ro rows read/poll    the same for the exporter's account alone: ROWS_READ of newapi_ro in
#                        information_schema.USER_STATISTICS (userstat=1), per poll
#   server ms/poll       Query_time of those queries from the slow log, per poll
# Usage: bench/scrape_cost.sh [--sizes "500000 5000000"] [--window SECONDS] [--requests N] [--live-rate R]
# Prints the table on stdout; progress on stderr. Ports 24010-24019.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SIZES="500000 5000000" WINDOW=30 REQUESTS=200 LIVE_RATE=50
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) SIZES=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --live-rate) LIVE_RATE=$2; shift 2 ;;
    *) echo "usage: $0 [--sizes \"500000 5000000\"] [--window S] [--requests N] [--live-rate R]" >&2; exit 2 ;;
  esac
done

bench_init
bench_build

ro_rows_read() {
  mariadb_sql "$1" "SELECT COALESCE(SUM(ROWS_READ), 0) FROM information_schema.USER_STATISTICS WHERE USER = 'newapi_ro'"
}
handler_reads() { mariadb_sql "$1" "SHOW GLOBAL STATUS LIKE 'Handler_read%'" | awk '{ s += $2 } END { print s }'; }

# slow_log_summary FILE: "polls rechecks rows_examined query_seconds" of newapi_ro's queries on logs.
slow_log_summary() {
  awk '/^# User@Host:/ { user = $3 }
       /Rows_examined:/ { for (i = 1; i < NF; i++) { if ($i == "Rows_examined:") ex = $(i + 1); if ($i == "Query_time:") qt = $(i + 1) } }
       /^SELECT .* FROM logs WHERE id > / && user ~ /^newapi_ro/ { polls++; rows += ex; secs += qt }
       /^SELECT .* FROM logs WHERE id IN / && user ~ /^newapi_ro/ { rechecks++; rows += ex; secs += qt }
       END { printf "%d %d %d %.6f\n", polls, rechecks, rows, secs }' "$1"
}

# measure DIR API_PORT LABEL: one window; sets RESULT="p50_ms p99_ms examined/poll handler/poll ro_rows/poll
# server_ms/poll polls rows_read metrics_bytes".
measure() {
  local dir=$1 api=$2 label=$3 slow=$1/slow-$3.log t0 h0 h1 r0 r1 u0 u1 lat=$1/latency-$3.txt
  mariadb_sql "$dir" "SET GLOBAL slow_query_log_file = '$slow'"
  r0=$(metric "$api" newapi_exporter_rows_read_total)
  u0=$(ro_rows_read "$dir")
  h0=$(handler_reads "$dir")
  t0=$(now_ms)
  for _ in $(seq 1 "$REQUESTS"); do
    curl -fsS -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$api/metrics" >>"$lat"
  done
  local left=$(( WINDOW * 1000 - ($(now_ms) - t0) ))
  [ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { print ms / 1000 }')"
  h1=$(handler_reads "$dir")
  u1=$(ro_rows_read "$dir")
  mariadb_sql "$dir" "SET GLOBAL slow_query_log_file = '$dir/slow-between.log'"
  r1=$(metric "$api" newapi_exporter_rows_read_total)
  local polls rechecks examined secs
  read -r polls rechecks examined secs < <(slow_log_summary "$slow")
  [ "$polls" -gt 0 ] || { say "no tail queries in the slow log $slow"; exit 1; }
  RESULT="$(awk '{ print $1 * 1000 }' "$lat" | percentile 50) $(awk '{ print $1 * 1000 }' "$lat" | percentile 99)"
  RESULT+=" $(awk -v e="$examined" -v p="$polls" 'BEGIN { printf "%.1f", e / p }')"
  RESULT+=" $(awk -v a="$h0" -v b="$h1" -v o="$SHOW_COST" -v p="$polls" 'BEGIN { printf "%.1f", (b - a - o) / p }')"
  RESULT+=" $(awk -v a="$u0" -v b="$u1" -v p="$polls" 'BEGIN { printf "%.1f", (b - a) / p }')"
  RESULT+=" $(awk -v s="$secs" -v p="$polls" 'BEGIN { printf "%.3f", s * 1000 / p }')"
  RESULT+=" $polls $(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%d", b - a }') $(awk '{ print $2 }' "$lat" | percentile 50)"
  say "$label: polls $polls (+$rechecks hole re-checks), rows examined $examined; latency/examined/handler/ro-rows/server-ms/polls/rows: $RESULT"
}

declare -A results
i=0
for size in $SIZES; do
  db_port=$((24010 + 2 * i)) api_port=$((24011 + 2 * i)) dir=$BENCH_DIR/db-$size
  db_start "$dir" "$db_port"
  db_load "$dir" "$db_port" "$size" 2000
  # Every statement to the slow log, set before the exporter connects: sessions copy these at connect, and one
  # opened while the log was off is not logged even after it is turned on. Each window gets its own file.
  mariadb_sql "$dir" "SET GLOBAL long_query_time = 0, min_examined_row_limit = 0, log_slow_filter = '',
    log_slow_verbosity = 'query_plan', slow_query_log_file = '$dir/slow-between.log', slow_query_log = 1,
    userstat = 1"
  # What one SHOW GLOBAL STATUS adds to the Handler_read counters by itself (on an idle server).
  a=$(handler_reads "$dir"); b=$(handler_reads "$dir"); SHOW_COST=$((b - a))
  exporter_start "$BENCH_DIR/exporter-$size.pid" "$BENCH_DIR/exporter-$size.log" "$db_port" "$api_port"
  wait_until 30 tail_running "$api_port" || { say "the tailer did not start"; tail -n 5 "$BENCH_DIR/exporter-$size.log" >&2; exit 1; }
  max_id=$(sql "$dir" "SELECT MAX(id) FROM logs")
  caught_up() { [ "$(metric "$api_port" newapi_exporter_tail_last_id)" = "$max_id" ]; }
  wait_until 30 caught_up || { say "the tailer did not reach id $max_id"; exit 1; }
  sleep 3  # the entities collector's first (and only) refresh, outside the windows
  say "size $size: exporter caught up at id $max_id; idle window of $WINDOW s"
  measure "$dir" "$api_port" "idle-$size"; results[idle-$size]=$RESULT
  sim_live_start "$BENCH_DIR/sim-$size.pid" "$BENCH_DIR/sim-$size.log" "$db_port" "$LIVE_RATE"
  sleep 5  # writers connected and at their rate
  say "size $size: live window of $WINDOW s at ~$LIVE_RATE rows/s"
  measure "$dir" "$api_port" "live-$size"; results[live-$size]=$RESULT
  stop_pidfile "$BENCH_DIR/sim-$size.pid" 20
  stop_pidfile "$BENCH_DIR/exporter-$size.pid" 10
  mariadb_stop "$dir"
  i=$((i + 1))
done

base=${SIZES%% *} big=${SIZES##* }
names=("/metrics p50 ms" "/metrics p99 ms" "rows examined/poll" "handler reads/poll" "ro rows read/poll" "server ms/poll" "tail polls" "rows read" "/metrics bytes")
echo
echo "scrape_cost: logs sizes $SIZES, windows of $WINDOW s, $REQUESTS sequential /metrics requests per window"
bench_conditions
printf '%-6s %-20s %12s %12s %9s\n' window figure "$base" "$big" "$big/$base"
for window in idle live; do
  read -ra small <<<"${results[$window-$base]}"
  read -ra large <<<"${results[$window-$big]}"
  for k in "${!names[@]}"; do
    r=$(ratio "${large[$k]}" "${small[$k]}")
    [ "$k" -ge 6 ] && r="-"  # counts, not costs
    [ "$window$k" = live3 ] && r="($r)"  # server-wide, includes the simulator
    printf '%-6s %-20s %12s %12s %9s\n' "$window" "${names[$k]}" "${small[$k]}" "${large[$k]}" "$r"
  done
done
echo "goal: every cost ratio <= 1.2. live = newapi-sim live --live.rate $LIVE_RATE --anomaly.interval 0;"
echo "handler reads are server-wide: in the live window they include the simulator's own queries, hence the"
echo "ratio in parentheses; ro rows read is the exporter's account alone. Definitions: the header of $(basename "$0")."
