#!/usr/bin/env bash
# 10,000 random and malformed parameter sets across every JSON API endpoint, sent to newapi-exporter built with
# AddressSanitizer (newapi-exporter-asan) on simulator data (DB_ENGINE: MariaDB or PostgreSQL): no answer >= 500
# other than 504, no dropped connection, no sanitizer report, and a clean exit afterwards.
# Usage: api_fuzz_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE, PORT_BASE+1)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 API=$(($2 + 1))
REQUESTS=${API_FUZZ_REQUESTS:-10000}
make_test_dir
DB=$TEST_DIR/db
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 20; db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

simulated_database "$DB" "$DB_PORT" --history.rows=30000 --history.days=2 --history.end=1793664000 --users=300 \
  --history.anomaly-interval=3600 || { fail "the simulated database did not start"; finish; }
(DB_TYPE=$(db_engine) DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=0 AGG_FINALIZE_LAG_SECONDS=36000 \
  exec "$BUILD_DIR/aggregator/newapi-aggregator" --once) >"$TEST_DIR/aggregator.log" 2>&1

# Every request reaches the handlers (no cache); the sanitizer stops the process at its first report.
(export DB_TYPE=$(db_engine) DB_PORT API_PORT=$API DB_PASS_RO=ro-pass CACHE_TTL_SECONDS=0 API_QUERY_TIMEOUT_MS=3000 \
   ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=0
 exec "$BUILD_DIR/tests/newapi-exporter-asan") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
check "the AddressSanitizer exporter starts" wait_until 30 curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"

started=$(now_ms)
"$BUILD_DIR/tests/api_fuzz" "$API" "$REQUESTS" 7 >"$TEST_DIR/fuzz.out" 2>&1
status=$?
cat "$TEST_DIR/fuzz.out"
check "$REQUESTS requests in $(( ($(now_ms) - started) / 1000 )) s: no 5xx but 504, no dropped connection" test "$status" = 0
check "no AddressSanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer' '$TEST_DIR/exporter.log'"
check "the exporter still answers" curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health"
kill -TERM "$(cat "$TEST_DIR/exporter.pid")"
wait_until 20 bash -c "! kill -0 $(cat "$TEST_DIR/exporter.pid") 2>/dev/null"
check "it shuts down cleanly without a sanitizer report" bash -c "! grep -q 'AddressSanitizer' '$TEST_DIR/exporter.log'"
grep -m3 -A30 'ERROR: AddressSanitizer' "$TEST_DIR/exporter.log" | head -40
finish
