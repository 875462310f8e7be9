#!/usr/bin/env bash
# The benchmark at a busy gateway's scale (default 30,000,000 logs rows over 30 days): load, aggregator backfill,
# exporter start-up and RSS, the tailer's database time, the uncached API over 24 h / 7 d / 30 d, the aggregator's
# regular pass and the cached API under wrk; each figure beside a baseline measured in the same run. Not run by CI.
# Usage: [BENCH_DB=postgres] bench/scale.sh [--rows N] [--days D] [--load-only]
#   SCALE_DIR (default /var/tmp/newapi-observer-scale-<engine>) keeps the loaded database between runs: a run whose
#   rows and days match the kept load skips the load and reports the load time it recorded. RUNS=3 timed runs each.
set -euo pipefail
# A 30M-row table with its indexes is ~25 GB on disk: the pool holds the recent days, as on a real server.
# Set before lib.sh, whose default (4G, for 5M rows) would otherwise win.
export MARIADB_BUFFER_POOL=${MARIADB_BUFFER_POOL:-12G} POSTGRES_SHARED_BUFFERS=${POSTGRES_SHARED_BUFFERS:-12GB}
source "$(dirname "$0")/lib.sh"
ROWS=30000000 DAYS=30 RUNS=${RUNS:-3} LOAD_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --days) DAYS=$2; shift 2 ;;
    --load-only) LOAD_ONLY=1; shift ;;  # load (or reuse) the database and stop: measure later on a quiet machine
    *) say "unknown argument: $1"; exit 2 ;;
  esac
done
AGGREGATOR_BIN=$BUILD_DIR/aggregator/newapi-aggregator
SCALE_DIR=${SCALE_DIR:-/var/tmp/newapi-observer-scale-$DB_ENGINE}
DB_PORT=24090 API_PORT=24091 CACHED_PORT=24092 REDIS_PORT=24093 AGG_METRICS_PORT=0

bench_init
bench_build newapi-aggregator
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null; }

ROW_FMT='%-44s %12s %12s %9s  %s\n'
RESULTS=()
# Each figure is kept for the table at the end and shown as it is measured (a stopped run keeps what it measured).
result() { RESULTS+=("$(printf "$ROW_FMT" "$1" "$2" "$3" "$4" "${5:-}")"); say "${RESULTS[-1]}"; }

# --- load (kept between runs) ---
dir=$SCALE_DIR/db
marker=$SCALE_DIR/loaded
mkdir -p "$SCALE_DIR"
bench_track_db "$dir"
if [ -f "$marker" ] && [ "$(cut -d' ' -f1,2 "$marker")" = "$ROWS $DAYS" ]; then
  say "reusing the database loaded in $SCALE_DIR ($(cat "$marker"))"
  db_start "$dir" "$DB_PORT"
  create_observer_users "$dir" "$RO_PASS" bench-agg  # the grants of today's tables (idempotent)
  HISTORY_END=$(cut -d' ' -f4 "$marker")
else
  rm -rf "$SCALE_DIR"; mkdir -p "$SCALE_DIR"
  HISTORY_END=$(( $(date +%s) / 3600 * 3600 - 3 * 3600 ))  # whole hours, finalized by the backfill
  db_start "$dir" "$DB_PORT"
  create_simulator_user "$dir" "$SIM_PASS"
  say "loading $ROWS logs rows over $DAYS days (progress in $dir/load.log)"
  t0=$(now_ms)
  sim_run "$DB_PORT" load --history.rows="$ROWS" --history.days="$DAYS" --users=20000 --history.end="$HISTORY_END" \
    --history.anomaly-interval=3600 >"$dir/load.log" 2>&1 || { say "load failed:"; tail -n 5 "$dir/load.log" >&2; exit 1; }
  load_s=$(( ($(now_ms) - t0) / 1000 ))
  create_observer_users "$dir" "$RO_PASS" bench-agg
  echo "$ROWS $DAYS $load_s $HISTORY_END" >"$marker"
fi
load_s=$(cut -d' ' -f3 "$marker")
if [ "$LOAD_ONLY" = 1 ]; then say "loaded: $(cat "$marker") (rows days load_s history_end)"; exit 0; fi
START_30D=$(( HISTORY_END - DAYS * 86400 ))
case $DB_ENGINE in
  mysql) logs_bytes=$(sql "$dir" "SELECT data_length + index_length FROM information_schema.tables
           WHERE table_schema = 'new-api' AND table_name = 'logs'") ;;
  postgres) logs_bytes=$(sql "$dir" "SELECT pg_total_relation_size('logs')") ;;
esac
gb() { awk -v b="$1" 'BEGIN { printf "%.1f GB", b / 1e9 }'; }
result "load: simulator history (s)" "-" "$load_s" "-" "$(( ROWS / (load_s > 0 ? load_s : 1) )) rows/s; logs table $(gb "$logs_bytes")"

# --- aggregator backfill, against the raw read of the same rows ---
say "dropping the observer's tables, then the aggregator's backfill"
for t in $(sql "$dir" "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'agg\\_%'
                       OR table_name = 'observer_action_audit'"); do
  sql "$dir" "DROP TABLE IF EXISTS $( [ "$DB_ENGINE" = postgres ] && echo observer. )\"$t\""
done
aggregate_once() {
  (export DB_TYPE=$DB_ENGINE DB_PORT DB_PASS_AGG=bench-agg AGGREGATOR_PORT=$AGG_METRICS_PORT; exec "$AGGREGATOR_BIN" --once) \
    >>"$BENCH_DIR/aggregator.log" 2>&1
}
backfill_s=$(seconds_of aggregate_once) || { tail -n 3 "$BENCH_DIR/aggregator.log" >&2; exit 1; }
raw_s=$(seconds_of ro_sql "$DB_PORT" "SELECT $(log_columns) FROM logs WHERE type IN (2, 5, 6)")
result "aggregator backfill, all rows (s)" "$raw_s" "$backfill_s" "$(ratio "$backfill_s" "$raw_s")" \
  "$(( ROWS * 1000 / ($(awk -v s="$backfill_s" 'BEGIN { print int(s * 1000) }') + 1) )) rows/s; baseline: mariadb/psql client reading them"

# --- exporter start-up and RSS ---
startup() {
  local t0 pidfile=$BENCH_DIR/startup.pid
  t0=$(now_ms)
  exporter_start "$pidfile" "$BENCH_DIR/startup.log" "$DB_PORT" "$API_PORT" CACHE_TTL_SECONDS=0
  wait_until 120 tail_running "$API_PORT"
  STARTUP_S=$(awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.3f", ms / 1000 }')
  STARTUP_RSS_MB=$(( $(rss_kb "$(cat "$pidfile")") / 1024 ))
  stop_pidfile "$pidfile" 10
}
starts=() rss=()
for i in $(seq 1 "$RUNS"); do startup; starts+=("$STARTUP_S"); rss+=("$STARTUP_RSS_MB"); done
sizes_s=$(grep -o '"big_request baseline loaded".*' "$BENCH_DIR/startup.log" | grep -o '"seconds":[0-9.e-]*' | cut -d: -f2 || true)
result "exporter start-up until counting (s)" "1.000" "$(median "${starts[@]}")" "-" \
  "goal <= 1 s; big_request baseline ${sizes_s:-?} s; RSS $(median "${rss[@]}") MB"

# --- the tailer's database time per minute, idle and at 200 rows/s ---
# MariaDB: the read-only account's BUSY_TIME (userstat); PostgreSQL: pg_stat_statements of that account. Only the
# exporter uses that account here; the baseline's query runs as the administrator.
account_seconds() {
  case $DB_ENGINE in
    mysql) sql "$dir" "SELECT COALESCE(SUM(BUSY_TIME), 0) FROM information_schema.USER_STATISTICS WHERE USER = 'newapi_ro'" ;;
    postgres) sql "$dir" "SELECT COALESCE(SUM(total_exec_time), 0) / 1000 FROM pg_stat_statements s
                 JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'newapi_ro'" ;;
  esac
}
[ "$DB_ENGINE" = mysql ] && sql "$dir" "SET GLOBAL userstat = 1"
# The baseline: a generic SQL exporter asking per model for the last hour's requests and spend every 15 s.
GENERIC="SELECT model_name, COUNT(*), SUM(quota) FROM logs WHERE created_at >= $(sql_unix_now) - 3600 AND type = 2 GROUP BY model_name"
minute_of_tail() {  # LABEL: the exporter's database seconds over 60 s, beside 4 runs of the generic query
  local a b generic=0 i tail_s
  a=$(account_seconds)
  for i in 1 2 3 4; do generic=$(awk -v g="$generic" -v s="$(seconds_of sql "$dir" "$GENERIC")" 'BEGIN { print g + s }'); sleep 14; done
  b=$(account_seconds)
  tail_s=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }')
  result "tail DB time per minute, $1 (s)" "$(printf '%.3f' "$generic")" "$tail_s" "$(ratio "$tail_s" "$generic")" \
    "baseline: a SQL exporter's per-model hour every 15 s"
}
exporter_start "$BENCH_DIR/tail.pid" "$BENCH_DIR/tail.log" "$DB_PORT" "$API_PORT" CACHE_TTL_SECONDS=0 API_QUERY_TIMEOUT_MS=300000
wait_until 120 tail_running "$API_PORT"
sleep 5
minute_of_tail idle
sim_live_start "$BENCH_DIR/live.pid" "$BENCH_DIR/live.log" "$DB_PORT" 200
sleep 10
minute_of_tail "live 200 rows/s"

# --- the aggregator's regular pass, in the daemon (its first pass also rewrites the hourly rule baselines) ---
AGG_PORT=24094
bench_track_pidfile "$BENCH_DIR/aggregator.pid"
(export DB_TYPE=$DB_ENGINE DB_PORT DB_PASS_AGG=bench-agg AGGREGATOR_PORT=$AGG_PORT AGG_INTERVAL_SECONDS=20
 exec "$AGGREGATOR_BIN") >>"$BENCH_DIR/aggregator.log" 2>&1 &
echo $! >"$BENCH_DIR/aggregator.pid"
agg_metric() { metric "$AGG_PORT" "$1"; }
wait_until 600 metric_at_least "$AGG_PORT" newapi_aggregator_last_success_timestamp_seconds 1
first=$(agg_metric newapi_aggregator_last_success_timestamp_seconds)
wait_until 600 metric_at_least "$AGG_PORT" newapi_aggregator_last_success_timestamp_seconds "$(awk -v f="$first" 'BEGIN { printf "%d", f + 1 }')"
pass_s=$(printf '%.3f' "$(agg_metric newapi_aggregator_run_duration_seconds)")
# Where the pass's time went, from its log line (logs read, diff, active values, write, baselines).
pass_split=$(grep '"aggregation pass done"' "$BENCH_DIR/aggregator.log" | tail -n 1 |
  grep -o '"[a-z_]*_s":[0-9.e-]*' | tr -d '"' | awk -F: '{ printf "%s%s %.3f", (NR > 1 ? ", " : ""), $1, $2 }' || true)
stop_pidfile "$BENCH_DIR/aggregator.pid" 10
stop_pidfile "$BENCH_DIR/live.pid" 10
now=$(date +%s)
pass_raw_s=$(seconds_of ro_sql "$DB_PORT" "SELECT $(log_columns) FROM logs WHERE created_at >= $(( now / 3600 * 3600 - 7200 )) AND type IN (2, 5, 6)")
result "aggregator pass, live 200 rows/s (s)" "$pass_raw_s" "$pass_s" "$(ratio "$pass_s" "$pass_raw_s")" \
  "baseline: the client reading the hours it recomputes; $pass_split"

# --- uncached API against the design document's direct SQL ---
say "uncached API vs direct SQL (median of $RUNS, as curl and the database's client time them)"
WHERE_USAGE="type IN (2, 5)"
direct_top() { echo "SELECT user_id, SUM(prompt_tokens + completion_tokens) AS tokens, COUNT(*) AS reqs, SUM(quota) AS quota FROM logs WHERE created_at >= $1 AND created_at < $2 AND $WHERE_USAGE GROUP BY user_id ORDER BY tokens DESC LIMIT 50"; }
direct_series() { echo "SELECT FLOOR(created_at / $3) AS bucket, COUNT(*), SUM(prompt_tokens + completion_tokens), COUNT(DISTINCT user_id), COUNT(DISTINCT token_id), SUM(quota) FROM logs WHERE created_at >= $1 AND created_at < $2 AND $WHERE_USAGE ${4:-} GROUP BY bucket"; }
direct_heatmap() { echo "SELECT FLOOR(created_at / 3600) AS hour, COUNT(*) FROM logs WHERE created_at >= $1 AND created_at < $2 AND $WHERE_USAGE GROUP BY hour"; }
api_case() {  # NAME DIRECT_SQL PATH
  local direct_s api_s note="speedup (direct / API)"
  direct_s=$(median_or_once query_seconds "$DB_PORT" "$2")
  awk -v s="$direct_s" -v slow="$SLOW_S" 'BEGIN { exit !(s > slow) }' && note="$note; direct timed once (over $SLOW_S s)"
  api_s=$(median_of api_seconds "http://127.0.0.1:$API_PORT/$3")
  result "$1" "$direct_s" "$api_s" "$(ratio "$direct_s" "$api_s")" "$note"
}
# The filters of the 7-day series (issue: a model, channel or group filter): the busiest of each in the last hour.
busiest() { ro_sql "$DB_PORT" "SELECT $1 FROM logs WHERE created_at >= $HISTORY_END - 3600 AND type = 2 GROUP BY $1
  ORDER BY COUNT(*) DESC LIMIT 1"; }
FILTERS=("model_name|model|$(busiest model_name)" "channel_id|channel|$(busiest channel_id)" "\"group\"|group|$(busiest '"group"')")
for span in 1 7 30; do
  from=$(( HISTORY_END - span * 86400 )) label="${span} d"
  [ "$span" -gt "$DAYS" ] && continue
  range="start_ms=$(( from * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
  slot=$(( span == 1 ? 3600 : span == 7 ? 7200 : 86400 ))
  api_case "top by user, $label" "$(direct_top "$from" "$HISTORY_END")" "api/stats/top?$range&by=user&metric=tokens&limit=50"
  api_case "series, $label, ${slot} s slots" "$(direct_series "$from" "$HISTORY_END" "$slot")" "api/stats/series?$range&slot_sec=$slot"
  if [ "$span" = 7 ]; then
    for f in "${FILTERS[@]}"; do
      IFS='|' read -r column param value <<<"$f"
      api_case "series, $label, $param filter" "$(direct_series "$from" "$HISTORY_END" "$slot" "AND $column = '$value'")" \
        "api/stats/series?$range&slot_sec=$slot&$param=$(jq -rn --arg v "$value" '$v | @uri')"
    done
  fi
  api_case "heatmap, $label" "$(direct_heatmap "$from" "$HISTORY_END")" "api/stats/heatmap?$range"
  [ "$span" -gt 7 ] && continue  # anomalies take at most 7 days
  for rule in burst multi_user_token ip_many_users big_request; do
    api_case "anomalies $rule, $label" "$(design_rule_sql "$rule" "$from" "$HISTORY_END")" "api/stats/anomalies?$range&rule=$rule"
  done
done
stop_pidfile "$BENCH_DIR/tail.pid" 10

# --- cached API under wrk ---
redis_start "$BENCH_DIR/redis" "$REDIS_PORT"
bench_track_pidfile "$BENCH_DIR/redis/server.pid"
exporter_start "$BENCH_DIR/cached.pid" "$BENCH_DIR/cached.log" "$DB_PORT" "$CACHED_PORT" \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" CACHE_TTL_SECONDS=600 API_QUERY_TIMEOUT_MS=300000
wait_until 120 curl -fsS -o /dev/null "http://127.0.0.1:$CACHED_PORT/api/health"
TOP="api/stats/top?start_ms=$(( (HISTORY_END - 7 * 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))&by=user&metric=tokens&limit=50"
curl -fsS -o /dev/null "http://127.0.0.1:$CACHED_PORT/$TOP"  # fills the cache
for c in 16 32; do
  wrk -t2 -c"$c" -d10s --latency "http://127.0.0.1:$CACHED_PORT/$TOP" >"$BENCH_DIR/wrk-$c.txt"
  rps=$(awk '/Requests\/sec/ { print int($2) }' "$BENCH_DIR/wrk-$c.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$BENCH_DIR/wrk-$c.txt")
  result "cached 7-day top, wrk -t2 -c$c (req/s)" "3000" "$rps" "$(ratio "$rps" 3000)" "p50 $p50; goal >= 3,000 req/s"
done

echo "scale: $ROWS logs rows over $DAYS days ($(gb "$logs_bytes") logs table, buffer pool $MARIADB_BUFFER_POOL)"
bench_conditions
printf "$ROW_FMT" figure baseline observer ratio note
printf '%s\n' "${RESULTS[@]}"
