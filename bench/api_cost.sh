#!/usr/bin/env bash
# Benchmarks the JSON API on a 7-day logs table (default 5,000,000 rows): /api/stats/top and /api/stats/series over
# 7 days, uncached, against the direct approach measured in the same run (the same answer computed by a
# GROUP BY over logs for every request; goal: API >= 10x faster), plus the UI's other long-range questions and the
# risk rules' findings (goal: <= 1 s over 7 days);
# then the cached answer under wrk on loopback (goal: p50 <= 2 ms and >= 3,000 requests/s on 2 cores).
# Usage: [BENCH_DB=postgres] bench/api_cost.sh [ROWS]   (RUNS=3 timed runs each, median; a direct query over SLOW_S
# seconds, 60, is timed once)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROWS=${1:-5000000} RUNS=${RUNS:-3}
AGGREGATOR_BIN=$BUILD_DIR/aggregator/newapi-aggregator
HISTORY_END=$(( $(date +%s) / 3600 * 3600 - 3 * 3600 ))  # whole hours, finalized by the backfill
START=$(( HISTORY_END - 7 * 86400 ))
DB_PORT=24080 API_PORT=24081 CACHED_PORT=24082 REDIS_PORT=24083

bench_init
bench_build newapi-aggregator
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null; }

dir=$BENCH_DIR/db
bench_db_start "$dir" "$DB_PORT"
bench_db_load "$dir" "$DB_PORT" "$ROWS" 2000
say "aggregator backfill"
(export DB_TYPE=$DB_ENGINE DB_PORT DB_PASS_AGG=bench-agg AGGREGATOR_PORT=0; exec "$AGGREGATOR_BIN" --once) >"$dir/aggregator.log" 2>&1


# The direct way: GROUP BY over logs for the range, every time. The first two are the issue's goal; the
# others are what the UI asks for as well (7 days in 2-hour slots, Top by token, a model, channel or group filter), and
# the risk rules' findings against the design document's queries (design_rule_sql).
# The filters (the busiest model, channel and group of the last hour).
busiest() { sql "$dir" "SELECT $1 FROM logs WHERE created_at >= $HISTORY_END - 3600 AND type = 2 GROUP BY 1
  ORDER BY COUNT(*) DESC LIMIT 1"; }
MODEL=$(busiest model_name) CHANNEL=$(busiest channel_id) GROUP=$(busiest '"group"')
uri() { jq -rn --arg v "$1" '$v | @uri'; }
WHERE="created_at >= $START AND created_at < $HISTORY_END AND type IN (2, 5)"
# (One line each: CASES splits on newlines.)
direct_top() { echo "SELECT $1, SUM(prompt_tokens + completion_tokens) AS tokens, COUNT(*) AS reqs, SUM(quota) AS quota" \
  "FROM logs WHERE $WHERE GROUP BY $1 ORDER BY tokens DESC LIMIT 50"; }
direct_series() { echo "SELECT FLOOR(created_at / $1) AS bucket, COUNT(*), SUM(prompt_tokens + completion_tokens)," \
  "COUNT(DISTINCT user_id), COUNT(DISTINCT token_id), SUM(quota), SUM(CASE WHEN type = 5 THEN 1 ELSE 0 END) FROM logs WHERE $WHERE ${2:-} GROUP BY bucket"; }
RANGE="start_ms=$(( START * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
DAY_START=$(( HISTORY_END - 86400 )) DAY_RANGE="start_ms=$(( DAY_START * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
# name|direct SQL|API path
CASES=(
  "top by user, tokens, 50|$(direct_top user_id)|api/stats/top?$RANGE&by=user&metric=tokens&limit=50"
  "series, hourly slots|$(direct_series 3600)|api/stats/series?$RANGE&slot_sec=3600"
  "series, 2-hour slots (UI, 7 d)|$(direct_series 7200)|api/stats/series?$RANGE&slot_sec=7200"
  "top by token, tokens, 50|$(direct_top token_id)|api/stats/top?$RANGE&by=token&metric=tokens&limit=50"
  "series, hourly, model filter|$(direct_series 3600 "AND model_name = '$MODEL'")|api/stats/series?$RANGE&slot_sec=3600&model=$(uri "$MODEL")"
  "series, hourly, channel filter|$(direct_series 3600 "AND channel_id = $CHANNEL")|api/stats/series?$RANGE&slot_sec=3600&channel=$CHANNEL"
  "series, hourly, group filter|$(direct_series 3600 "AND \"group\" = '$GROUP'")|api/stats/series?$RANGE&slot_sec=3600&group=$(uri "$GROUP")"
  "anomalies burst, 24 h|$(design_rule_sql burst "$DAY_START" "$HISTORY_END")|api/stats/anomalies?$DAY_RANGE&rule=burst"
  "anomalies burst, 7 d|$(design_rule_sql burst "$START" "$HISTORY_END")|api/stats/anomalies?$RANGE&rule=burst"
  "anomalies multi_user_token, 7 d|$(design_rule_sql multi_user_token "$START" "$HISTORY_END")|api/stats/anomalies?$RANGE&rule=multi_user_token"
  "anomalies ip_many_users, 7 d|$(design_rule_sql ip_many_users "$START" "$HISTORY_END")|api/stats/anomalies?$RANGE&rule=ip_many_users"
  "anomalies big_request, 7 d|$(design_rule_sql big_request "$START" "$HISTORY_END")|api/stats/anomalies?$RANGE&rule=big_request"
)

# One exporter at a time: the read-only account may hold 6 connections (schema/grants.sql).
exporter_start "$BENCH_DIR/api.pid" "$BENCH_DIR/api.log" "$DB_PORT" "$API_PORT" CACHE_TTL_SECONDS=0 \
  API_QUERY_TIMEOUT_MS=120000
wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/api/health"
source_of() { curl -fsS -D - -o /dev/null "http://127.0.0.1:$API_PORT/$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-query-source" { print $2 }'; }

say "timing (median of $RUNS)"
seconds_of sql "$dir" "$(direct_top user_id)" >/dev/null  # warms the buffer pool
RESULTS=()
for c in "${CASES[@]}"; do
  IFS='|' read -r name direct path <<<"$c"
  direct_s=$(median_or_once query_seconds "$DB_PORT" "$direct")
  api_s=$(median_of api_seconds "http://127.0.0.1:$API_PORT/$path")
  RESULTS+=("$(printf '%-34s %10s %10s %8s  %s' "$name" "$direct_s" "$api_s" "$(ratio "$direct_s" "$api_s")" "$(source_of "$path")")")
done
TOP="api/stats/top?$RANGE&by=user&metric=tokens&limit=50"
stop_pidfile "$BENCH_DIR/api.pid" 10

redis_start "$BENCH_DIR/redis" "$REDIS_PORT"
bench_track_pidfile "$BENCH_DIR/redis/server.pid"
exporter_start "$BENCH_DIR/cached.pid" "$BENCH_DIR/cached.log" "$DB_PORT" "$CACHED_PORT" \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" CACHE_TTL_SECONDS=600 API_QUERY_TIMEOUT_MS=120000
wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$CACHED_PORT/api/health"
curl -fsS -o /dev/null "http://127.0.0.1:$CACHED_PORT/$TOP"  # fills the cache
wrk -t2 -c16 -d10s --latency "http://127.0.0.1:$CACHED_PORT/$TOP" >"$BENCH_DIR/wrk.txt"

echo "api_cost: $ROWS logs rows over 7 days, /api/stats/top and /series over the 7 days"
bench_conditions
printf '%-34s %10s %10s %8s  %s\n' query "direct s" "API s" speedup "API source"
printf '%s\n' "${RESULTS[@]}"
echo "goal: speedup >= 10 (direct = a GROUP BY over logs per request timed by the $(db_version) client, API by curl, same run; filters: model $MODEL, channel $CHANNEL, group $GROUP)"
echo "goal: each rule's findings over 7 days <= 1 s, burst over 24 h <= 0.1 s"
echo "cached top (wrk -t2 -c16 -d10s on loopback):"
grep -E "Requests/sec|^ +50%|^ +99%" "$BENCH_DIR/wrk.txt"
echo "goal: p50 <= 2 ms and >= 3000 requests/s"
