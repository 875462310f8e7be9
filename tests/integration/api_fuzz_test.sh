#!/usr/bin/env bash
# 10,000 random and malformed parameter sets across every JSON API endpoint, sent to newapi-exporter built with
# AddressSanitizer (BUILD_DIR/asan, -DOBSERVER_ASAN=ON) on simulator data (DB_ENGINE: MariaDB or PostgreSQL): no answer
# >= 500 other than 504, no dropped connection, no sanitizer report, and a clean exit afterwards. Then the response
# cache as an attacker with access to Redis would leave it: every cached answer replaced by a hostile value (JSON nested
# 100,000 deep, truncated JSON, random bytes, valid JSON of the wrong shape, 5 MB), and the same requests again, CSV
# export included: the same outcome, and the forged values counted as rejected.
# Usage: api_fuzz_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+2)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 API=$(($2 + 1)) REDIS=$(($2 + 2))
REQUESTS=${API_FUZZ_REQUESTS:-10000}
make_test_dir
DB=$TEST_DIR/db
cleanup() {
  stop_pidfile "$TEST_DIR/exporter.pid" 20; redis_stop "$TEST_DIR/redis"; db_stop "$DB"
  [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

simulated_database "$DB" "$DB_PORT" --history.rows=30000 --history.days=2 --history.end=1793664000 --users=300 \
  --history.anomaly-interval=3600 || { fail "the simulated database did not start"; finish; }
(DB_TYPE=$(db_engine) DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=0 AGG_FINALIZE_LAG_SECONDS=36000 \
  exec "$BUILD_DIR/aggregator/newapi-aggregator" --once) >"$TEST_DIR/aggregator.log" 2>&1

# exporter CACHE_TTL [REDIS_URL]: the AddressSanitizer exporter; the sanitizer stops the process at its first report.
exporter() {
  (export DB_TYPE=$(db_engine) DB_PORT API_PORT=$API DB_PASS_RO=ro-pass CACHE_TTL_SECONDS=$1 REDIS_URL=${2:-} \
     API_QUERY_TIMEOUT_MS=3000 ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=0
   exec "$BUILD_DIR/asan/exporter/newapi-exporter") >>"$TEST_DIR/exporter.log" 2>&1 &
  echo $! >"$TEST_DIR/exporter.pid"
  check "the AddressSanitizer exporter starts (cache TTL $1)" wait_until 30 curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"
}
# fuzz REQUESTS SEED WHAT: the fuzzer against the exporter, which must answer every request without a 5xx but 504.
fuzz() {
  local started; started=$(now_ms)
  "$BUILD_DIR/tests/api_fuzz" "$API" "$1" "$2" >"$TEST_DIR/fuzz.out" 2>&1
  local status=$?
  cat "$TEST_DIR/fuzz.out"
  check "$1 requests $3 in $(( ($(now_ms) - started) / 1000 )) s: no 5xx but 504, no dropped connection" test "$status" = 0
  check "  ... no AddressSanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer' '$TEST_DIR/exporter.log'"
}
stop_exporter() {
  kill -TERM "$(cat "$TEST_DIR/exporter.pid")"
  wait_until 20 bash -c "! kill -0 $(cat "$TEST_DIR/exporter.pid") 2>/dev/null"
  check "it shuts down cleanly without a sanitizer report" bash -c "! grep -q 'AddressSanitizer' '$TEST_DIR/exporter.log'"
}

# Every request reaches the handlers (no cache).
exporter 0
fuzz "$REQUESTS" 7 "without a cache"
check "the exporter still answers" curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"
stop_exporter

# A poisoned cache: fill it, overwrite every key, ask again.
redis_start "$TEST_DIR/redis" "$REDIS" >/dev/null || { fail "Redis did not start"; finish; }
exporter 600 "redis://127.0.0.1:$REDIS/0"
CACHED_REQUESTS=${API_FUZZ_CACHED_REQUESTS:-1500}
fuzz "$CACHED_REQUESTS" 21 "filling the cache"
mapfile -t keys < <(redis-cli -p "$REDIS" --scan --pattern 'newapi-observer:*')
check "the cache holds answers to poison (${#keys[@]} keys)" test "${#keys[@]}" -gt 20
head -c 100000 /dev/zero | tr '\0' '[' >"$TEST_DIR/deep"
head -c 3000 /dev/urandom >"$TEST_DIR/random"
head -c 5000000 /dev/zero | tr '\0' 'x' >"$TEST_DIR/huge"
for i in "${!keys[@]}"; do
  key=${keys[$i]}
  case $(( i % 7 )) in
    0) redis-cli -p "$REDIS" -x SET "$key" <"$TEST_DIR/deep" ;;
    1) redis-cli -p "$REDIS" SET "$key" '[{"user_id":1,"username":"x","reqs":' ;;
    2) redis-cli -p "$REDIS" -x SET "$key" <"$TEST_DIR/random" ;;
    3) redis-cli -p "$REDIS" SET "$key" '{"series":{"a":[1,[2,[3]]]},"n":5}' ;;
    4) redis-cli -p "$REDIS" SET "$key" '[[[[[[[[[[1]]]]]]]]],"x",{"a":{"b":{"c":[]}}},null,1e308,-0]' ;;
    5) redis-cli -p "$REDIS" -x SET "$key" <"$TEST_DIR/huge" ;;
    6) redis-cli -p "$REDIS" SET "$key" '"=cmd|'"'"'/c calc'"'"'!A1"' ;;
  esac
done >/dev/null
fuzz "$CACHED_REQUESTS" 21 "against the poisoned cache"
rejected=$(metric_value "http://127.0.0.1:$API/metrics" newapi_exporter_cache_rejected_total)
check "the forged values that are not answers were rejected and recomputed (${rejected:-0} rejected)" \
  test "${rejected%.*}" -gt 0
stop_exporter
grep -m3 -A30 'ERROR: AddressSanitizer' "$TEST_DIR/exporter.log" | head -40
finish
