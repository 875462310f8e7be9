#!/usr/bin/env bash
# The README's first command as a new user runs it: `scripts/stack up` on private ports with a small history,
# then checks health, db_up, live rows arriving, an injected anomaly, the exporter account's grants and the
# metrics docs, Prometheus scraping both and the Watchdog reaching Alertmanager, and that `scripts/stack down` stops
# every process it started.
# DB_ENGINE=postgres runs the stack on PostgreSQL (STACK_DB) instead of MariaDB.
# Usage: stack_smoke_test.sh BUILD_DIR PORT_BASE
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 PORT_BASE=$2
private_stack "$PORT_BASE"

start=$(now_ms)
"$STACK" up >"$TEST_DIR/up.out" 2>&1; code=$?
check "scripts/stack up succeeds (took $(( $(now_ms) - start )) ms)" test "$code" = 0
[ "$code" = 0 ] || { cat "$TEST_DIR/up.out" >&2; finish; }
check "up prints the exporter URL" grep -q "http://127.0.0.1:$STACK_EXPORTER_PORT/metrics" "$TEST_DIR/up.out"

EXPORTER=http://127.0.0.1:$STACK_EXPORTER_PORT
AGGREGATOR=http://127.0.0.1:$STACK_AGGREGATOR_PORT
check "exporter db_up is 1" test "$(metric_value "$EXPORTER/metrics" newapi_exporter_db_up)" = 1
check "aggregator db_up is 1" test "$(metric_value "$AGGREGATOR/metrics" newapi_aggregator_db_up)" = 1
check "/api/health is ok" bash -c "curl -fsS '$EXPORTER/api/health' | grep -q '\"ok\":true'"
from_baseline() { [ "$(metric_value "$EXPORTER/metrics" 'newapi_exporter_baseline_info{source="agg_usage_hourly"}')" = 1 ]; }
check "the exporter's counters start from agg_usage_hourly" wait_until 15 from_baseline

source "$STACK_DIR/secrets.env"
# The engine's superuser client (PostgreSQL: in database new-api), and the exporter account's client with the error
# it gets for what its grants leave out.
if [ "$(db_engine)" = postgres ]; then
  sql() { db_sql "$STACK_DIR/postgres" "$@"; }
  logs=logs denied="permission denied"
  as_ro() { PGPASSWORD=$RO_PASSWORD psql -X -q -At -h 127.0.0.1 -p "$STACK_DB_PORT" -U newapi_ro -d new-api -c "$1" 2>&1; }
else
  sql() { db_sql "$STACK_DIR/mariadb" "$@"; }
  logs='`new-api`.logs' denied="ERROR (1142|1143)"
  as_ro() { mariadb --no-defaults -h127.0.0.1 -P"$STACK_DB_PORT" -unewapi_ro -p"$RO_PASSWORD" --batch -N -e "$1" new-api 2>&1; }
fi
check "the stack runs on $(db_engine)" test "$(cat "$STACK_DIR/db-engine")" = "$(db_engine)"
rows=$(sql "SELECT COUNT(*) FROM $logs")
check "history is loaded ($rows rows)" test "$rows" -ge 30000
first_max=$(sql "SELECT MAX(id) FROM $logs")
sleep 6
second_max=$(sql "SELECT MAX(id) FROM $logs")
check "live rows keep arriving (max id $first_max -> $second_max)" test "$second_max" -gt "$first_max"
check "the simulator reports an injected anomaly within 60 s" \
  wait_until 60 grep -q '"kind"' "$STACK_DIR/logs/injections.jsonl"

burst_flagged() {
  local hits; hits=$(metric_value "$EXPORTER/metrics" 'newapi_anomaly_hits_total{rule="burst"}')
  [ -n "$hits" ] && [ "${hits%.*}" -ge 1 ]
}
check "the exporter flags the simulator's injected burst within 150 s" wait_until 150 burst_flagged
burst_token=$(grep '"kind":"burst"' "$STACK_DIR/logs/injections.jsonl" | head -1 | grep -o '"subject_id":"[0-9]*"' | grep -o '[0-9]*')
check "the flagged burst is the injected token ($burst_token)" \
  grep -q "\"subject_id\":\"$burst_token\"" <(grep '"msg":"anomaly"' "$STACK_DIR/logs/exporter.log" | grep '"rule":"burst"')
decoy_token=$(grep '"kind":"decoy_steady_token"' "$STACK_DIR/logs/injections.jsonl" | head -1 | grep -o '"subject_id":"[0-9]*"' | grep -o '[0-9]*')
check "the steady decoy token ($decoy_token) is not flagged" \
  bash -c "! grep '\"msg\":\"anomaly\"' '$STACK_DIR/logs/exporter.log' | grep -q '\"subject_id\":\"$decoy_token\"'"

# tokens.key: a reserved word after a qualifier needs no quotes on MySQL, and key is not reserved on PostgreSQL.
check "the exporter account reads logs" test "$(as_ro 'SELECT COUNT(*) FROM (SELECT id FROM logs LIMIT 1) x')" = 1
check "the exporter account cannot read tokens.key" grep -qE "$denied" <<<"$(as_ro 'SELECT tokens.key FROM tokens LIMIT 1')"
check "the exporter account cannot read channels.key" grep -qE "$denied" <<<"$(as_ro 'SELECT channels.key FROM channels LIMIT 1')"
check "the exporter account cannot read users.password" grep -qE "$denied" <<<"$(as_ro 'SELECT password FROM users LIMIT 1')"
check "the exporter account cannot write" grep -qE "$denied" <<<"$(as_ro 'DELETE FROM logs WHERE id = 0')"

check "exporter metrics.md matches /metrics" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" "$EXPORTER/metrics" "$REPO_ROOT/exporter/metrics.md"
check "aggregator metrics.md matches /metrics" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" "$AGGREGATOR/metrics" "$REPO_ROOT/aggregator/metrics.md"
targets_up() {
  [ "$(curl -fsS "http://127.0.0.1:$STACK_PROMETHEUS_PORT/api/v1/query" --data-urlencode 'query=sum(up)' |
       jq -r '.data.result[0].value[1]')" = 2 ]
}
check "Prometheus scrapes the exporter and the aggregator" wait_until 30 targets_up
check "Alertmanager is ready" curl -fsSo /dev/null "http://127.0.0.1:$STACK_ALERTMANAGER_PORT/-/ready"
watchdog_delivered() {
  curl -fsS "http://127.0.0.1:$STACK_ALERTMANAGER_PORT/api/v2/alerts?filter=alertname%3DWatchdog" | jq -e 'length == 1'
}
check "the Watchdog alert reaches Alertmanager" wait_until 120 watchdog_delivered
check "status lists the running exporter" bash -c "'$STACK' status | grep -q 'exporter *running'"

pids=$(cat "$STACK_DIR"/run/*.pid "$STACK_DIR"/*/server.pid)
"$STACK" down >"$TEST_DIR/down.out" 2>&1
check "scripts/stack down succeeds" test $? = 0
for pid in $pids; do check "process $pid is gone after down" bash -c "! kill -0 $pid 2>/dev/null"; done
check "no pid files are left" bash -c "! ls '$STACK_DIR'/run/*.pid '$STACK_DIR'/*/server.pid 2>/dev/null | grep -q ."
finish
