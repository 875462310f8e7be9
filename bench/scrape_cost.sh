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
# On PostgreSQL (BENCH_DB=postgres) the database's figures come from pg_stat_statements, reset at each window start:
#   buffers/poll         shared blocks hit + read by newapi_ro's queries on logs (tail and hole re-checks) per tail
#                        poll (statements matching `FROM logs WHERE id > `)
#   logs tuples read/poll  delta of seq_tup_read + idx_tup_fetch of logs in pg_stat_user_tables, per poll;
#                        server-wide, and each backend reports it up to ~10 s late, so it is the noisiest figure
#   ro buffers/poll      shared blocks of every statement of newapi_ro (entities, health checks too), per poll
#   server ms/poll       total_exec_time of the logs queries, per poll
# Usage: [BENCH_DB=postgres] bench/scrape_cost.sh [--sizes "500000 5000000"] [--window SECONDS] [--requests N] [--live-rate R]
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

# What the database tells about the exporter's queries in one window, per engine: db_window_begin DIR LABEL, then
# db_window_end DIR LABEL sets DB_WINDOW="polls rechecks examined server_seconds server_wide account_wide".
case $DB_ENGINE in
mysql)
  DB_FIGURES=("rows examined/poll" "handler reads/poll" "ro rows read/poll")
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
  # Every statement to the slow log, set before the exporter connects: sessions copy these at connect, and one
  # opened while the log was off is not logged even after it is turned on. Each window gets its own file.
  db_prepare() {
    mariadb_sql "$1" "SET GLOBAL long_query_time = 0, min_examined_row_limit = 0, log_slow_filter = '',
      log_slow_verbosity = 'query_plan', slow_query_log_file = '$1/slow-between.log', slow_query_log = 1,
      userstat = 1"
    # What one SHOW GLOBAL STATUS adds to the Handler_read counters by itself (on an idle server).
    local a b; a=$(handler_reads "$1"); b=$(handler_reads "$1"); SHOW_COST=$((b - a))
  }
  db_window_begin() {
    mariadb_sql "$1" "SET GLOBAL slow_query_log_file = '$1/slow-$2.log'"
    U0=$(ro_rows_read "$1") H0=$(handler_reads "$1")
  }
  db_window_end() {
    local h1 u1
    h1=$(handler_reads "$1") u1=$(ro_rows_read "$1")
    mariadb_sql "$1" "SET GLOBAL slow_query_log_file = '$1/slow-between.log'"
    DB_WINDOW="$(slow_log_summary "$1/slow-$2.log") $((h1 - H0 - SHOW_COST)) $((u1 - U0))"
  }
  ;;
postgres)
  DB_FIGURES=("buffers/poll" "logs tuples read/poll" "ro buffers/poll")
  # Blocks touched (shared hit + read) is PostgreSQL's measure of the work of a query, per statement from
  # pg_stat_statements; tuples read from logs (sequential + index fetches) come from pg_stat_user_tables.
  logs_tuples_read() {
    postgres_sql "$1" "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) FROM pg_stat_user_tables
      WHERE relname = 'logs'"
  }
  db_prepare() { postgres_sql "$1" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"; }
  db_window_begin() { postgres_sql "$1" "SELECT pg_stat_statements_reset()" >/dev/null; T0=$(logs_tuples_read "$1"); }
  db_window_end() {
    local t1; t1=$(logs_tuples_read "$1")
    DB_WINDOW="$(postgres_sql "$1" "SELECT
        COALESCE(SUM(calls) FILTER (WHERE query ~ 'FROM [^ ]*logs[^ ]* WHERE id > '), 0),
        COALESCE(SUM(calls) FILTER (WHERE query ~ 'FROM [^ ]*logs[^ ]* WHERE id IN '), 0),
        COALESCE(SUM(shared_blks_hit + shared_blks_read) FILTER (WHERE query ~ 'FROM [^ ]*logs[^ ]* WHERE id '), 0),
        COALESCE(SUM(total_exec_time) FILTER (WHERE query ~ 'FROM [^ ]*logs[^ ]* WHERE id ') / 1000, 0)
      FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'newapi_ro'" | tr '|' ' ')"
    DB_WINDOW+=" $((t1 - T0)) $(postgres_sql "$1" "SELECT COALESCE(SUM(shared_blks_hit + shared_blks_read), 0)
      FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'newapi_ro'")"
  }
  ;;
esac

# measure DIR API_PORT LABEL: one window; sets RESULT="p50_ms p99_ms examined/poll server_wide/poll account/poll
# server_ms/poll polls rows_read metrics_bytes".
measure() {
  local dir=$1 api=$2 label=$3 t0 r0 r1 lat=$1/latency-$3.txt
  r0=$(metric "$api" newapi_exporter_rows_read_total)
  db_window_begin "$dir" "$label"
  t0=$(now_ms)
  for _ in $(seq 1 "$REQUESTS"); do
    curl -fsS -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$api/metrics" >>"$lat"
  done
  local left=$(( WINDOW * 1000 - ($(now_ms) - t0) ))
  [ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { print ms / 1000 }')"
  db_window_end "$dir" "$label"
  r1=$(metric "$api" newapi_exporter_rows_read_total)
  local polls rechecks examined secs server_wide account_wide
  read -r polls rechecks examined secs server_wide account_wide <<<"$DB_WINDOW"
  [ "$polls" -gt 0 ] || { say "no tail queries seen by the database in window $label"; exit 1; }
  per_poll() { awk -v v="$1" -v p="$polls" 'BEGIN { printf "%.1f", v / p }'; }
  RESULT="$(awk '{ print $1 * 1000 }' "$lat" | percentile 50) $(awk '{ print $1 * 1000 }' "$lat" | percentile 99)"
  RESULT+=" $(per_poll "$examined") $(per_poll "$server_wide") $(per_poll "$account_wide")"
  RESULT+=" $(awk -v s="$secs" -v p="$polls" 'BEGIN { printf "%.3f", s * 1000 / p }')"
  RESULT+=" $polls $(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%d", b - a }') $(awk '{ print $2 }' "$lat" | percentile 50)"
  say "$label: polls $polls (+$rechecks hole re-checks); latency/${DB_FIGURES[0]}/server-wide/account/server-ms/polls/rows: $RESULT"
}

declare -A results
i=0
for size in $SIZES; do
  db_port=$((24010 + 2 * i)) api_port=$((24011 + 2 * i)) dir=$BENCH_DIR/db-$size
  bench_db_start "$dir" "$db_port"
  bench_db_load "$dir" "$db_port" "$size" 2000
  db_prepare "$dir"
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
  bench_db_stop "$dir"
  i=$((i + 1))
done

base=${SIZES%% *} big=${SIZES##* }
names=("/metrics p50 ms" "/metrics p99 ms" "${DB_FIGURES[@]}" "server ms/poll" "tail polls" "rows read" "/metrics bytes")
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
echo "${DB_FIGURES[1]} is server-wide: in the live window it includes the simulator's own queries, hence the"
echo "ratio in parentheses; ${DB_FIGURES[2]} is the exporter's account alone. Definitions: the header of $(basename "$0")."
