#!/usr/bin/env bash
# Kills the database server (DB_ENGINE: MariaDB or PostgreSQL) under a running exporter: /metrics keeps answering
# with db_up 0, the process survives, and after the server restarts db_up is 1 again within 30 s.
# Usage: exporter_db_recovery_test.sh BUILD_DIR DB_PORT HTTP_PORT
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 HTTP_PORT=$3
make_test_dir
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 10; db_stop "$TEST_DIR/db"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

simulated_database "$TEST_DIR/db" "$DB_PORT" --history.rows=500 --history.days=1 --users=20 ||
  { fail "the $(db_engine) database did not start"; finish; }

(export DB_TYPE=$(db_engine) DB_PORT=$DB_PORT DB_PASS_RO=ro-pass API_PORT=$HTTP_PORT DB_CHECK_INTERVAL_SECONDS=2
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
exporter_pid=$(cat "$TEST_DIR/exporter.pid")
METRICS=http://127.0.0.1:$HTTP_PORT/metrics

db_up_is() { [ "$(metric_value "$METRICS" newapi_exporter_db_up)" = "$1" ]; }
tail_success_is() { [ "$(metric_value "$METRICS" 'newapi_exporter_collector_success{collector="log_tail"}')" = "$1" ]; }
check "db_up is 1 within 15 s of start" wait_until 15 db_up_is 1
check "the log tail collector succeeds" wait_until 15 tail_success_is 1
check "build_info is exposed" bash -c "curl -fsS $METRICS | grep -q '^newapi_exporter_build_info{'"
health=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/api/health")
check "/api/health says ok with the database up" grep -q '"ok":true' <<<"$health"
check "/api/health reports the db component" grep -q '"db":"up"' <<<"$health"
echoed=$(curl -fsS -D - -o /dev/null -H 'X-Request-Id: recovery-test-1' "http://127.0.0.1:$HTTP_PORT/api/health" |
         tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" { print $2 }')
check "X-Request-Id is echoed" test "$echoed" = recovery-test-1

kill -9 "$(cat "$TEST_DIR/db/server.pid")"
killed_at=$(now_ms)
check "db_up drops to 0 within 15 s of the kill" wait_until 15 db_up_is 0
check "the log tail collector reports failure" wait_until 15 tail_success_is 0
start=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$METRICS")
elapsed=$(( $(now_ms) - start ))
check "/metrics answers 200 while the database is down (took ${elapsed} ms)" test "$code" = 200 -a "$elapsed" -lt 2000
health=$(curl -fsS --max-time 5 "http://127.0.0.1:$HTTP_PORT/api/health")
check "/api/health answers and says the db is down" grep -q '"db":"down"' <<<"$health"
sleep 5  # a few reconnect attempts against a dead server
check "exporter process is still alive" kill -0 "$exporter_pid"

db_start "$TEST_DIR/db" "$DB_PORT" || { fail "the $(db_engine) database did not restart"; finish; }
restarted_at=$(now_ms)
check "db_up returns to 1 within 30 s of the restart" wait_until 30 db_up_is 1
check "the log tail collector recovers within 30 s of the restart" wait_until 30 tail_success_is 1
echo "     recovery took $(( $(now_ms) - restarted_at )) ms after restart ($(( $(now_ms) - killed_at )) ms after the kill)"
check "the same exporter process recovered (no restart)" kill -0 "$exporter_pid"
check "the exporter logged the loss and the reconnect" bash -c \
  "grep -q 'database connection lost\|database unreachable' '$TEST_DIR/exporter.log' && grep -c 'database connected' '$TEST_DIR/exporter.log' | grep -q '^2$'"
check "every log line is a JSON object" bash -c "! grep -v '^{\"ts\":' '$TEST_DIR/exporter.log' | grep -q ."
check "the password never appears in the logs" bash -c "! grep -q 'ro-pass' '$TEST_DIR/exporter.log'"
finish
