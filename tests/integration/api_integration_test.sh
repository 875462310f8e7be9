#!/usr/bin/env bash
# The JSON API on simulator data (DB_ENGINE: MariaDB or PostgreSQL): four days of history ending just after New
# York's 2026 autumn DST change, the hourly table filled by one aggregator pass with the seam a few hours before the
# end. api_check compares every endpoint with SQL ground truth (and series, top and heatmap again with the rollups
# unused); then, on exporters of their own: bearer-token auth (401, health open, CORS only for listed origins), a
# statement timeout answered 504 with the query stopped on the server, and a table locked by another session answered
# 504 while a second request finds the one-connection pool busy (429 with Retry-After).
# The first exporter caches in a private Redis: hits for repeated requests, answers unchanged with Redis frozen or
# killed, no token key in any cached value; a filter value spelling two filters is its own question, and a forged
# 100,000-deep value is recomputed rather than served.
# Usage: api_integration_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE..PORT_BASE+5)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
observer_names
BUILD_DIR=$1 DB_PORT=$2 API=$(($2 + 1)) AUTH_API=$(($2 + 2)) SLOW_API=$(($2 + 3)) AGG_PORT=$(($2 + 4))
REDIS_PORT=$(($2 + 5))
make_test_dir
DB=$TEST_DIR/db
cleanup() {
  for p in exporter plain auth slow lock; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  kill -CONT "$(cat "$TEST_DIR/redis/server.pid" 2>/dev/null)" 2>/dev/null; redis_stop "$TEST_DIR/redis"
  db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

HISTORY_END=1793664000  # 2026-11-03T00:00:00Z; New York fell back on 2026-11-01 at 06:00Z
simulated_database "$DB" "$DB_PORT" --history.rows=150000 --history.days=4 --history.end=$HISTORY_END --users=400 \
  --history.anomaly-interval=3600 || { fail "the simulated database did not start"; finish; }
# MariaDB's time zone tables, for the ground truth's CONVERT_TZ (PostgreSQL has its own; the exporter reads
# /usr/share/zoneinfo itself).
if [ "$(db_engine)" = mysql ]; then
  mariadb-tzinfo-to-sql /usr/share/zoneinfo 2>/dev/null | mariadb --no-defaults --socket="$DB/mariadb.sock" -uroot mysql
  check "MariaDB knows America/New_York" test "$(sql "SELECT CONVERT_TZ('2026-07-01 12:00:00', '+00:00', 'America/New_York')")" = "2026-07-01 08:00:00"
fi

# One aggregator pass; hours end before HISTORY_END - 5 h are final, the rest of the history is read from logs.
LAG=$(( $(date +%s) - (HISTORY_END - 5 * 3600) ))
(DB_TYPE=$(db_engine) DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG_PORT AGG_FINALIZE_LAG_SECONDS=$LAG \
  exec "$BUILD_DIR/aggregator/newapi-aggregator" --once) >"$TEST_DIR/aggregator.log" 2>&1
check "one aggregator pass fills agg_usage_hourly (finalized until $(newapi_sql "SELECT value FROM ${OBSERVER}agg_state WHERE name = 'finalized_until'"))" test $? = 0

exporter() { # NAME PORT [VAR=VALUE...]
  local name=$1 port=$2; shift 2
  (export DB_TYPE=$(db_engine) DB_PORT API_PORT=$port DB_PASS_RO=ro-pass "$@"; exec "$BUILD_DIR/exporter/newapi-exporter") \
    >"$TEST_DIR/$name.log" 2>&1 &
  echo $! >"$TEST_DIR/$name.pid"
  wait_until 15 curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health"
}
redis_start "$TEST_DIR/redis" "$REDIS_PORT" || fail "Redis did not start"
# A QuotaPerUnit other than new-api's default, which /api/info must report (the UI's spend divides by it).
newapi_sql "UPDATE options SET value = '250000' WHERE \"key\" = 'QuotaPerUnit'"
# new-api set to display CNY at its own rate: /api/info tells the UI (the simulator wrote USD at 7.3).
newapi_sql "UPDATE options SET value = 'CNY' WHERE \"key\" = 'general_setting.quota_display_type'"
newapi_sql "UPDATE options SET value = '6.9' WHERE \"key\" = 'USDExchangeRate'"
exporter exporter "$API" API_DB_CONNECTIONS=2 REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" NEWAPI_URL=https://newapi.example.com/
check "the exporter answers /api/health" curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"
info_reports() {
  [ "$(curl -fsS "http://127.0.0.1:$API/api/info" | jq -c '[.quota_per_unit, .timezone, (.rule_coverage | type), .display, .newapi_url]')" = \
    '[250000,"UTC","object",{"currency":"CNY","per_usd":6.9,"symbol":"¥"},"https://newapi.example.com"]' ]
}
check "/api/info reports the instance's QuotaPerUnit, display unit (CNY at 6.9), NEWAPI_URL, the time zone and the rules' coverage" \
  wait_until 10 info_reports

DB_ENGINE=$(db_engine) NEWAPI_CHECK_DB_PORT=$DB_PORT NEWAPI_CHECK_EXPORTER_PORT=$API NEWAPI_CHECK_HISTORY_END=$HISTORY_END \
  "$BUILD_DIR/tests/api_check" >"$TEST_DIR/check.log" 2>&1
status=$?
grep -E "^\[ +(OK|FAILED) +\]|Failure|Expected|Which is|actual|scanned" "$TEST_DIR/check.log" | head -80
check "every endpoint equals its SQL ground truth (logs, hourly, seam; UTC, DST and half-hour zones)" test "$status" = 0
echo "query times on this data (status, source, ms, path):"
grep -E "^  200 " "$TEST_DIR/check.log" | grep -E "series\?start_ms=[0-9]+&end_ms=[0-9]+&slot_sec=(3600|60)$|top\?.*by=user&metric=tokens|heatmap|anomalies\?.*rule=burst$" | head -12

# The cache: a repeated request is a hit with the same body; with Redis frozen (SIGSTOP) or killed every request is
# still answered; no cached value holds a token key.
CACHED_URL="http://127.0.0.1:$API/api/stats/top?start_ms=$(( (HISTORY_END - 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))&by=token"
fetch() { curl -sS -D "$TEST_DIR/headers" -o "$TEST_DIR/$1.json" -w '%{http_code}' "$CACHED_URL${2:-}"; }
fetch first >/dev/null
check "a repeated request is a cache hit" bash -c "[ \"\$(curl -sS -D - -o '$TEST_DIR/second.json' '$CACHED_URL' | tr -d '\r' | awk -F': ' 'tolower(\$1) == \"x-cache\" {print \$2}')\" = hit ]"
check "  ... with the same body" cmp -s "$TEST_DIR/first.json" "$TEST_DIR/second.json"
keys=$(redis-cli -p "$REDIS_PORT" --scan --pattern '*' | sort)
check "every key Redis holds is ours ($(wc -l <<<"$keys") keys)" bash -c "! grep -v '^newapi-observer:' <<<'$keys' | grep -q ."
redis-cli -p "$REDIS_PORT" --scan --pattern 'newapi-observer:*' | while read -r k; do redis-cli -p "$REDIS_PORT" GET "$k"; done \
  >"$TEST_DIR/cached-values.txt"
newapi_sql "SELECT \"key\" FROM tokens" >"$TEST_DIR/token-keys.txt"
check "no cached value holds a token key ($(wc -l <"$TEST_DIR/token-keys.txt") keys, $(wc -c <"$TEST_DIR/cached-values.txt") bytes scanned)" \
  bash -c "! grep -F -f '$TEST_DIR/token-keys.txt' '$TEST_DIR/cached-values.txt' >/dev/null"
under_fault() {  # SIGNAL: 30 distinct requests (misses: each tries Redis) answered 200, none slower than 1 s
  local slowest=0 bad=0 t code
  kill "-$1" "$(cat "$TEST_DIR/redis/server.pid")"
  for i in $(seq 1 30); do
    t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$CACHED_URL&limit=$i")
    code=${t% *}; [ "$code" = 200 ] || bad=$((bad + 1))
    slowest=$(awk -v a="$slowest" -v b="${t#* }" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$bad $slowest"
}
read -r bad slowest <<<"$(under_fault STOP)"
check "Redis frozen (SIGSTOP): 30 requests, $bad errors, slowest ${slowest} s" \
  bash -c "[ $bad = 0 ] && awk -v s=$slowest 'BEGIN { exit !(s < 1.0) }'"
kill -CONT "$(cat "$TEST_DIR/redis/server.pid")"
read -r bad slowest <<<"$(under_fault KILL)"
check "Redis killed: 30 requests, $bad errors, slowest ${slowest} s" \
  bash -c "[ $bad = 0 ] && awk -v s=$slowest 'BEGIN { exit !(s < 1.0) }'"
redis_start "$TEST_DIR/redis" "$REDIS_PORT" >/dev/null || fail "Redis did not restart"
cached_again() { fetch again "&limit=7" >/dev/null; fetch again "&limit=7" >/dev/null; grep -qi '^x-cache: hit' "$TEST_DIR/headers"; }
check "caching comes back by itself after Redis restarts" wait_until 10 cached_again

# CSV export: the same answer as the JSON endpoint, one row per element, the JSON's keys as the header.
RANGE="start_ms=$(( (HISTORY_END - 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
csv_of() { curl -sS -D "$TEST_DIR/csv.headers" -o "$TEST_DIR/$1.csv" "http://127.0.0.1:$API/api/export/csv?query=$1&$2"; }
for q in "top&by=user&limit=50" "series&slot_sec=3600" "anomalies&rule=burst" "logs&ip=$(newapi_sql "SELECT ip FROM logs WHERE ip <> '' AND type = 2 AND created_at >= $HISTORY_END - 43200 LIMIT 1")"; do
  name=${q%%&*}
  csv_of "$name" "$RANGE&${q#*&}"
  curl -sS -o "$TEST_DIR/$name.json" "http://127.0.0.1:$API/$(case $name in top|series|anomalies) echo "api/stats/$name";; logs) echo api/logs;; esac)?$RANGE&${q#*&}"
  json_rows=$(jq 'length' "$TEST_DIR/$name.json")
  csv_rows=$(( $(grep -c $'\r$' "$TEST_DIR/$name.csv") - 1 ))
  check "CSV $name: $csv_rows rows, as many as the JSON answer ($json_rows)" test "$csv_rows" = "$json_rows"
  check "  ... the header is the JSON's keys" test "$(head -1 "$TEST_DIR/$name.csv" | tr -d '\r')" = "$(jq -r 'if length > 0 then (.[0] | keys_unsorted | join(",")) else "" end' "$TEST_DIR/$name.json")"
  check "  ... served as text/csv" grep -qi '^Content-Type: text/csv' "$TEST_DIR/csv.headers"
done
check "the logs export has rows" test "$(( $(grep -c $'\r$' "$TEST_DIR/logs.csv") - 1 ))" -gt 0
check "top by user has 50 rows" test "$(( $(grep -c $'\r$' "$TEST_DIR/top.csv") - 1 ))" = 50
csv_of heatmap "$RANGE&bom=1"
check "the heatmap CSV has 7 x 24 rows and starts with a BOM (bom=1)" \
  bash -c "[ \$(( \$(grep -c \$'\\r\$' '$TEST_DIR/heatmap.csv') - 1 )) = 168 ] && head -c 3 '$TEST_DIR/heatmap.csv' | od -An -tx1 | grep -q 'ef bb bf'"
check "an unknown export is a 400 naming query" \
  bash -c "[ \"\$(curl -sS -o '$TEST_DIR/bad.json' -w '%{http_code}' 'http://127.0.0.1:$API/api/export/csv?query=users&$RANGE')\" = 400 ] && grep -q '\"param\":\"query\"' '$TEST_DIR/bad.json'"

# Hostile clients of the cache. A filter value holding '&' and '=' is a question of its own: asked first, it must not
# fill the cache for the question it spells (before: that one was a hit and served the first one's empty answer).
uri() { jq -rn --arg v "$1" '$v | @uri'; }
MODEL=$(curl -sS "http://127.0.0.1:$API/api/stats/top?$RANGE&by=model&limit=1" | jq -r '.[0].model_name')
CHANNEL=$(curl -sS "http://127.0.0.1:$API/api/stats/top?$RANGE&by=channel&limit=1&model=$(uri "$MODEL")" | jq -r '.[0].channel_id')
POISON_URL="http://127.0.0.1:$API/api/stats/top?$RANGE&by=user&limit=17"
curl -sS -o "$TEST_DIR/pasted.json" "$POISON_URL&model=$(uri "$MODEL&channel=$CHANNEL")"
check "model='$MODEL&channel=$CHANNEL' names no model: no rows" test "$(jq length "$TEST_DIR/pasted.json")" = 0
curl -sS -D "$TEST_DIR/split.headers" -o "$TEST_DIR/split.json" "$POISON_URL&model=$(uri "$MODEL")&channel=$CHANNEL"
check "  ... and is not the answer to model='$MODEL' and channel=$CHANNEL (a miss, $(jq length "$TEST_DIR/split.json") rows)" \
  bash -c "grep -qi '^x-cache: miss' '$TEST_DIR/split.headers' && [ \$(jq length '$TEST_DIR/split.json') -gt 0 ]"
# A value nesting 100,000 deep forged under a CSV export's key (anyone on Redis' network can write one): a miss,
# recomputed and overwritten, and the exporter stays up (before: SIGSEGV in the CSV writer).
curl -sS -o /dev/null "http://127.0.0.1:$API/api/export/csv?query=top&$RANGE&by=user&limit=33"
FORGED_KEY=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'newapi-observer:*/api/stats/top?*by=user*limit=33')
{ head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } | redis-cli -p "$REDIS_PORT" -x SET "$FORGED_KEY" >/dev/null
check "a forged 100,000-deep cached value is stored under the export's key ($FORGED_KEY)" \
  test "$(redis-cli -p "$REDIS_PORT" STRLEN "$FORGED_KEY")" = 200000
forged_code=$(curl -sS -D "$TEST_DIR/forged.headers" -o "$TEST_DIR/forged.csv" -w '%{http_code}' \
  "http://127.0.0.1:$API/api/export/csv?query=top&$RANGE&by=user&limit=33")
check "  ... the export still answers 200 with 33 rows, a cache miss" \
  bash -c "[ '$forged_code' = 200 ] && [ \$(( \$(grep -c \$'\\r\$' '$TEST_DIR/forged.csv') - 1 )) = 33 ] && grep -qi '^x-cache: miss' '$TEST_DIR/forged.headers'"
check "  ... the exporter is still up" curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"
check "  ... and the forged value was replaced by the answer" \
  test "$(redis-cli -p "$REDIS_PORT" GET "$FORGED_KEY" | jq length)" = 33
check "  ... and counted" grep -q '^newapi_exporter_cache_rejected_total 1' <(curl -sS "http://127.0.0.1:$API/metrics")

cat "$TEST_DIR"/*.csv >"$TEST_DIR/all-csv.txt"
check "no CSV holds a token key ($(wc -c <"$TEST_DIR/all-csv.txt") bytes scanned)" \
  bash -c "! grep -F -f '$TEST_DIR/token-keys.txt' '$TEST_DIR/all-csv.txt' >/dev/null"

stop_pidfile "$TEST_DIR/exporter.pid" 10
# The same ground truths from agg_usage_hourly alone, as while an older installation's rollups are being built.
newapi_sql "DELETE FROM ${OBSERVER}agg_state WHERE name = 'rollups_until'"
exporter plain "$API" CACHE_TTL_SECONDS=0
DB_ENGINE=$(db_engine) NEWAPI_CHECK_DB_PORT=$DB_PORT NEWAPI_CHECK_EXPORTER_PORT=$API NEWAPI_CHECK_HISTORY_END=$HISTORY_END \
  "$BUILD_DIR/tests/api_check" --gtest_filter='ApiCheck.Series*:ApiCheck.Top*:ApiCheck.Heatmap*' \
  >"$TEST_DIR/check-without-rollups.log" 2>&1
status=$?
grep -E "^\[ +FAILED +\]|Failure" "$TEST_DIR/check-without-rollups.log" | head -20
check "series, top and heatmap equal their ground truth without the rollups too" test "$status" = 0
stop_pidfile "$TEST_DIR/plain.pid" 10
# Grants older than the rollups: an account that may not read one answers from agg_usage_hourly, same numbers.
newapi_sql "INSERT INTO ${OBSERVER}agg_state (name, value, updated_at) SELECT 'rollups_until', value, updated_at
  FROM ${OBSERVER}agg_state WHERE name = 'finalized_until'"
exporter plain "$API" CACHE_TTL_SECONDS=0
TOP_URL="http://127.0.0.1:$API/api/stats/top?start_ms=$(( (HISTORY_END - 4 * 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))&by=user&limit=20"
curl -sS -o "$TEST_DIR/top-rollup.json" "$TOP_URL"
newapi_sql "REVOKE SELECT ON ${OBSERVER}agg_usage_hourly_by_user FROM $RO_ACCOUNT"
check "without SELECT on a rollup the API still answers 200" \
  test "$(curl -sS -o "$TEST_DIR/top-fallback.json" -w '%{http_code}' "$TOP_URL")" = 200
check "  ... the same numbers as from the rollup ($(jq length "$TEST_DIR/top-rollup.json") rows)" \
  bash -c "[ \$(jq length '$TEST_DIR/top-rollup.json') = 20 ] && cmp -s '$TEST_DIR/top-rollup.json' '$TEST_DIR/top-fallback.json'"
check "  ... and says which grant is missing" grep -q "rollup tables are not readable" "$TEST_DIR/plain.log"
newapi_sql "GRANT SELECT ON ${OBSERVER}agg_usage_hourly_by_user TO $RO_ACCOUNT"
stop_pidfile "$TEST_DIR/plain.pid" 10

# Auth and CORS (no cache: every request reaches the database). One exporter at a time: the read-only account may hold 10 connections (schema/grants.sql).
TOKEN=$(random_password)
printf '%s\n' "$TOKEN" >"$TEST_DIR/token"
exporter auth "$AUTH_API" API_AUTH=token API_TOKEN_FILE="$TEST_DIR/token" CORS_ORIGINS=https://ops.example.com API_QUERY_TIMEOUT_MS=1 \
  CACHE_TTL_SECONDS=0
URL="http://127.0.0.1:$AUTH_API/api/stats/top?start_ms=$(( (HISTORY_END - 4 * 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
code() { curl -sS -o "$TEST_DIR/body.json" -w '%{http_code}' "$@"; }
check "no token: 401" test "$(code "$URL")" = 401
check "  ... with the error shape" grep -q '"code":401' "$TEST_DIR/body.json"
check "a wrong token: 401" test "$(code -H "Authorization: Bearer ${TOKEN}x" "$URL")" = 401
check "a token of another scheme: 401" test "$(code -H "Authorization: Basic $TOKEN" "$URL")" = 401
check "/api/health stays open" test "$(code "http://127.0.0.1:$AUTH_API/api/health")" = 200
check "validation still names the parameter behind auth" \
  test "$(code -H "Authorization: Bearer $TOKEN" "$URL&by=nobody")" = 400
cors() { curl -sS -D - -o /dev/null -H "Origin: $1" -H "Authorization: Bearer $TOKEN" "$URL&by=nobody" | tr -d '\r'; }
check "CORS headers for a listed origin" grep -q "^Access-Control-Allow-Origin: https://ops.example.com" <(cors https://ops.example.com)
check "no CORS headers for another origin" bash -c "! grep -qi '^Access-Control' <(curl -sS -D - -o /dev/null -H 'Origin: https://evil.example.com' '$URL&by=nobody')"
check "a preflight for a listed origin answers 204 with the methods" \
  grep -q "^Access-Control-Allow-Methods: GET" <(curl -sS -D - -o /dev/null -X OPTIONS -H "Origin: https://ops.example.com" "$URL" | tr -d '\r')

# A statement timeout (API_QUERY_TIMEOUT_MS=1 on four days of logs): 504, and nothing left running on the server.
check "the right token over a range too slow for the timeout: 504" test "$(code -H "Authorization: Bearer $TOKEN" "$URL")" = 504
check "  ... with the error shape" grep -q '"code":504' "$TEST_DIR/body.json"
# The API's usage queries (the collectors' own queries run meanwhile).
running() {
  if [ "$(db_engine)" = postgres ]; then
    sql "SELECT COUNT(*) FROM pg_stat_activity WHERE usename = 'newapi_ro' AND state = 'active' AND query LIKE '%GROUP BY k%'"
  else
    sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'newapi_ro' AND COMMAND = 'Query' AND INFO LIKE '%GROUP BY k%'"
  fi
}
check "  ... and the query was stopped on the server ($(running) running)" test "$(running)" = 0
check "the exporter keeps answering after timeouts" test "$(code "http://127.0.0.1:$AUTH_API/api/health")" = 200

stop_pidfile "$TEST_DIR/auth.pid" 10
# A locked logs table with a one-connection pool: the first request waits on the lock and answers 504; the second,
# meanwhile, finds the pool busy and answers 429 with Retry-After.
exporter slow "$SLOW_API" API_DB_CONNECTIONS=1 DB_LOCK_WAIT_TIMEOUT_SECONDS=3 CACHE_TTL_SECONDS=0
# Another session holds the lock for 6 s.
if [ "$(db_engine)" = postgres ]; then
  sql "BEGIN; LOCK TABLE logs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1 &
else
  sql "LOCK TABLES \`new-api\`.logs WRITE; SELECT SLEEP(6);" >/dev/null 2>&1 &
fi
echo $! >"$TEST_DIR/lock.pid"
sleep 0.5
SLOW_URL="http://127.0.0.1:$SLOW_API/api/stats/series?start_ms=$(( (HISTORY_END - 3600) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
curl -sS -o "$TEST_DIR/locked.json" -w '%{http_code}' "$SLOW_URL" >"$TEST_DIR/locked.code" &
locked=$!
sleep 0.5
check "a second request while the only connection waits: 429" test "$(curl -sS -D "$TEST_DIR/busy.headers" -o /dev/null -w '%{http_code}' "$SLOW_URL")" = 429
check "  ... with Retry-After" grep -qi '^Retry-After: 1' "$TEST_DIR/busy.headers"
wait $locked
check "the request waiting on the locked table answers 504 ($(cat "$TEST_DIR/locked.code"))" test "$(cat "$TEST_DIR/locked.code")" = 504
wait "$(cat "$TEST_DIR/lock.pid")" 2>/dev/null
check "after the lock is gone the same request answers 200" test "$(curl -sS -o /dev/null -w '%{http_code}' "$SLOW_URL")" = 200
finish
