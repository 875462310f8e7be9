#!/usr/bin/env bash
# The exporter on simulator data: history, then live traffic from concurrent writers with rolled-back inserts (id
# gaps) and late commits. Checks freshness (a committed row in /metrics within 2 s), behaviour under a locked
# `logs` table (one query in flight, /metrics unaffected), that no token key ever reaches /metrics, and finally
# that every counter equals the SQL ground truth (exporter_exactness_check). DB_ENGINE: MariaDB or PostgreSQL.
# Usage: exporter_exactness_test.sh BUILD_DIR PORT_BASE
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 EXPORTER_PORT=$(($2 + 1))
make_test_dir
DB=$TEST_DIR/db
cleanup() {
  stop_pidfile "$TEST_DIR/sim.pid" 20; stop_pidfile "$TEST_DIR/exporter.pid" 10; stop_pidfile "$TEST_DIR/lock.pid" 5
  db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT
METRICS=http://127.0.0.1:$EXPORTER_PORT/metrics
export DB_TYPE
DB_TYPE=$(db_engine)

simulated_database "$DB" "$DB_PORT" --history.rows=50000 --history.days=2 --users=400 || { fail "the simulated database did not start"; finish; }

(export DB_PORT API_PORT=$EXPORTER_PORT DB_PASS_RO=ro-pass ENTITY_REFRESH_SECONDS=5
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
tail_ok() { [ "$(metric_value "$METRICS" 'newapi_exporter_collector_success{collector="log_tail"}')" = 1 ]; }
check "the tailer is running within 15 s" wait_until 15 tail_ok
start_id=$(metric_value "$METRICS" newapi_exporter_tail_start_id)
check "the tailer started at the end of logs (id $start_id)" test "$start_id" = "$(newapi_sql 'SELECT MAX(id) FROM logs')"

(sim live --live.rate=150 --live.writers=4 --anomaly.interval=5) >"$TEST_DIR/live.log" 2>&1 &
echo $! >"$TEST_DIR/sim.pid"
sleep 5

# Freshness: one committed row, timed until it shows in /metrics.
newapi_sql "INSERT INTO logs (user_id, created_at, type, model_name, quota, prompt_tokens, completion_tokens,
            channel_id, \"group\", other) VALUES (1, $(date +%s), 2, 'freshness-probe', 7, 3, 4, 1, 'default', '{}')"
inserted=$(now_ms)
probe_visible() { local scrape; scrape=$(curl -fsS "$METRICS") && grep -q 'model="freshness-probe"' <<<"$scrape"; }
wait_until 10 probe_visible
fresh_ms=$(( $(now_ms) - inserted ))
check "a committed row shows in /metrics within 2 s (took $fresh_ms ms)" test "$fresh_ms" -le 2000

# A burst committed at once (130 requests of one token in the same second) shows as an anomaly gauge within 5 s.
burst_rows=$(printf "(1, $(date +%s), 2, 999999, 'burst-probe', 'gpt-4o', 1, 1, 1, 1, 'default', '{}'),%.0s" $(seq 130))
newapi_sql "INSERT INTO logs (user_id, created_at, type, token_id, token_name, model_name, quota, prompt_tokens,
            completion_tokens, channel_id, \"group\", other) VALUES ${burst_rows%,}"
inserted=$(now_ms)
burst_visible() {
  local scrape; scrape=$(curl -fsS "$METRICS") &&
    grep -q 'newapi_anomaly{rule="burst",subject_id="999999",subject_name="burst-probe",subject_type="token"} 130' <<<"$scrape"
}
wait_until 10 burst_visible
burst_ms=$(( $(now_ms) - inserted ))
check "a burst committed live shows as an anomaly gauge within 5 s (took $burst_ms ms)" test "$burst_ms" -le 5000

# A locked logs table: the tailer's query waits on the lock (lock_wait_timeout), /metrics does not.
if [ "$DB_TYPE" = postgres ]; then
  LOCK_LOGS="BEGIN; LOCK TABLE logs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;"
  IN_FLIGHT="SELECT COUNT(*) FROM pg_stat_activity WHERE usename = 'newapi_ro' AND state = 'active'
             AND query LIKE '%FROM logs%'"
else
  LOCK_LOGS="LOCK TABLES logs WRITE; SELECT SLEEP(8);"
  IN_FLIGHT="SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'newapi_ro' AND command = 'Query'
             AND info LIKE '%FROM logs%'"
fi
newapi_sql "$LOCK_LOGS" >/dev/null 2>&1 &
echo $! >"$TEST_DIR/lock.pid"
max_in_flight=0 slowest_ms=0
for _ in $(seq 1 25); do
  n=$(newapi_sql "$IN_FLIGHT")
  [ "$n" -gt "$max_in_flight" ] && max_in_flight=$n
  t0=$(now_ms); curl -fsS -o /dev/null --max-time 5 "$METRICS" || slowest_ms=99999; t=$(( $(now_ms) - t0 ))
  [ "$t" -gt "$slowest_ms" ] && slowest_ms=$t
  sleep 0.2
done
wait "$(cat "$TEST_DIR/lock.pid")" 2>/dev/null; rm -f "$TEST_DIR/lock.pid"
check "at most one exporter query on logs in flight while locked (saw $max_in_flight)" test "$max_in_flight" -le 1
check "/metrics stays fast while logs is locked (slowest $slowest_ms ms)" test "$slowest_ms" -lt 1000
check "the tailer reports the failure while locked" grep -q '"collector failed"' "$TEST_DIR/exporter.log"
check "the tailer recovers after the lock" wait_until 15 tail_ok

sleep 10
stop_pidfile "$TEST_DIR/sim.pid" 30
gaps=$(newapi_sql "SELECT MAX(id) - MIN(id) + 1 - COUNT(*) FROM logs WHERE id > $start_id")
check "the simulator wrote live rows with id gaps ($gaps ids unused)" test "$gaps" -gt 0
expected_rows=$(newapi_sql "SELECT COUNT(*) FROM logs WHERE id > $start_id")
caught_up() { [ "$(metric_value "$METRICS" newapi_exporter_rows_read_total)" = "$expected_rows" ]; }
wait_until 20 caught_up
echo "     live rows after start: $expected_rows; late rows found in holes: $(metric_value "$METRICS" newapi_exporter_tail_late_rows_total)"

NEWAPI_CHECK_DB_PORT=$DB_PORT NEWAPI_CHECK_EXPORTER_PORT=$EXPORTER_PORT "$BUILD_DIR/tests/exporter_exactness_check" \
  >"$TEST_DIR/check.out" 2>&1
check "every counter equals the SQL ground truth" test $? = 0 || true
grep -E "Failure|missing|not in SQL|Which is|PASSED|FAILED" "$TEST_DIR/check.out" | head -30

curl -fsS "$METRICS" >"$TEST_DIR/metrics.txt"
newapi_sql 'SELECT "key" FROM tokens' >"$TEST_DIR/keys.txt"
check "tokens have keys to look for ($(wc -l <"$TEST_DIR/keys.txt"))" test "$(wc -l <"$TEST_DIR/keys.txt")" -gt 0
check "no token key appears in /metrics" bash -c "! grep -F -f '$TEST_DIR/keys.txt' '$TEST_DIR/metrics.txt' >/dev/null"
check "no token key appears in the exporter log" bash -c "! grep -F -f '$TEST_DIR/keys.txt' '$TEST_DIR/exporter.log' >/dev/null"
check "no permission errors in the exporter log" bash -c "! grep -qE 'command denied|permission denied' '$TEST_DIR/exporter.log'"
check "promtool check metrics passes on a live scrape" bash -c "promtool check metrics <'$TEST_DIR/metrics.txt'"
check "metrics.md matches the live exposition" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" "$METRICS" "$REPO_ROOT/exporter/metrics.md"
finish
