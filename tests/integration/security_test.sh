#!/usr/bin/env bash
# Hostile clients against the real aggregator's relay on loopback (issue 15, findings 1 and 5):
#  - an Alertmanager-shaped body whose label value is JSON nested 100,000 deep, as application/json and as text/plain
#    (what a web page can send): 4xx, the process stays up, RSS grows at most 32 MB per attack;
#  - absolute, scheme-relative and scheme drill-down links and runbook links outside RUNBOOK_BASE_URL are not
#    forwarded to the chat platform, while relative ones and runbooks under the base still are;
#  - without Alertmanager's bearer token (RELAY_TOKEN), or with a wrong one, 401 and nothing reaches the platform;
#  - the exporter's /metrics (Top-K user and token names) with METRICS_TOKEN: 401 without it, and Prometheus, given
#    the token through prometheus.yml's credentials_file, scrapes it.
# Usage: security_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+4)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 AGG=$(($2 + 1)) SINK=$(($2 + 2)) EXPORTER=$(($2 + 3)) PROMETHEUS=$(($2 + 4))
MAX_RSS_GROWTH_KB=$((32 * 1024))
make_test_dir
cleanup() {
  for p in agg sink exporter; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  prometheus_stop "$TEST_DIR/prometheus"; mariadb_stop "$TEST_DIR/db"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

mariadb_start "$TEST_DIR/db" "$DB_PORT" || { fail "MariaDB did not start"; finish; }
mariadb_sql "$TEST_DIR/db" "CREATE DATABASE \`new-api\`"
mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot new-api <"$REPO_ROOT/schema/newapi-schema.sql"
create_observer_users "$TEST_DIR/db" ro-pass agg-pass

start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/sink.jsonl" 0
RUNBOOK_BASE=https://git.example/observer/blob/main
RELAY_TOKEN=relay-$(random_password)  # what Alertmanager sends (alertmanager.yml http_config.authorization)
(export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG ALERT_WEBHOOK_URL="http://127.0.0.1:$SINK/webhook" \
   RELAY_TOKEN=$RELAY_TOKEN \
   FRONTEND_URL=http://observer.example:8080 RUNBOOK_BASE_URL=$RUNBOOK_BASE/
 exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"
AGG_PID=$(cat "$TEST_DIR/agg.pid")
wait_until 15 curl -fsS "http://127.0.0.1:$AGG/metrics" -o /dev/null || { fail "the aggregator did not start"; tail -5 "$TEST_DIR/agg.log" >&2; finish; }
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK" || { fail "the sink did not start"; finish; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGG_PID/status" 2>/dev/null || echo 0; }
alive() { kill -0 "$AGG_PID" 2>/dev/null && curl -fsS --max-time 5 "http://127.0.0.1:$AGG/metrics" -o /dev/null; }
# post CONTENT_TYPE FILE [AUTHORIZATION]: one POST to the relay's webhook path with Alertmanager's bearer token (or
# the Authorization header given, "" for none); prints the HTTP status (000 when the connection died).
post() {
  curl -s -o "$TEST_DIR/answer" -w '%{http_code}' --max-time 30 -H "Content-Type: $1" --data-binary @"$2" \
    -H "Authorization: ${3-Bearer $RELAY_TOKEN}" "http://127.0.0.1:$AGG/relay/webhook"
}

# Finding 1: 100,000 levels of nesting in a label value (about 200 KB), the shape that made dump() recurse to SIGSEGV.
depth=${DEPTH:-100000}  # DEPTH=10 shows the other checks on code that crashes at 100,000
{ printf '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Deep","deep":'
  head -c "$depth" /dev/zero | tr '\0' '['; head -c "$depth" /dev/zero | tr '\0' ']'
  printf '}}]}'; } >"$TEST_DIR/deep.json"
for content_type in application/json text/plain; do
  before=$(rss_kb); status=$(post "$content_type" "$TEST_DIR/deep.json"); after=$(rss_kb)
  check "$depth-deep label as $content_type answers 4xx (got $status: $(head -c 200 "$TEST_DIR/answer"))" \
    bash -c '[[ $1 == 4?? ]]' _ "$status"
  check "the aggregator is still alive after it" alive
  check "RSS grew $(( (${after:-0} - ${before:-0}) / 1024 )) MB (limit 32 MB; $before -> $after kB)" \
    test "$(( ${after:-0} - ${before:-0} ))" -le "$MAX_RSS_GROWTH_KB" -a "${after:-0}" -gt 0
done
printf '{"alerts":[{"status":"firing","labels":{"alertname":"X","n":7}}]}' >"$TEST_DIR/number.json"
status=$(post application/json "$TEST_DIR/number.json")
check "a label that is not a string answers 400 naming it (got $status: $(cat "$TEST_DIR/answer"))" \
  bash -c '[ "$1" = 400 ] && grep -q "labels.n" "$2"' _ "$status" "$TEST_DIR/answer"
check "nothing of those reached the platform" test "$(jq -s length "$TEST_DIR/sink.jsonl" 2>/dev/null || echo 0)" = 0

# Finding 5: links into the chat group. One alert per link shape; only the safe ones may arrive.
cat >"$TEST_DIR/links.json" <<JSON
{"version":"4","status":"firing","groupLabels":{"alertname":"Links"},
 "alerts":[
  {"status":"firing","labels":{"alertname":"Links","n":"1"},
   "annotations":{"drilldown_path":"https://evil.example/login","runbook_url":"https://evil.example/runbook"}},
  {"status":"firing","labels":{"alertname":"Links","n":"2"},
   "annotations":{"drilldown_path":"//evil.example/login","runbook_url":"//evil.example/runbook"}},
  {"status":"firing","labels":{"alertname":"Links","n":"3"},
   "annotations":{"drilldown_path":"javascript:alert(1)","runbook_url":"$RUNBOOK_BASE.evil.example/x"}},
  {"status":"firing","labels":{"alertname":"Links","n":"4"},
   "annotations":{"drilldown_path":"/anomalies/detail?rule=burst","runbook_url":"prometheus/runbook.md#riskburst"}},
  {"status":"firing","labels":{"alertname":"Links","n":"5"},
   "annotations":{"runbook_url":"$RUNBOOK_BASE/prometheus/runbook.md#other"}}]}
JSON
status=$(post application/json "$TEST_DIR/links.json")
check "a payload with hostile links is still delivered (got $status: $(cat "$TEST_DIR/answer"))" test "$status" = 200
# The last request the sink saw is this delivery (checked above).
sent=$(jq -s -r '[.[] | select(.path == "/webhook")][-1].body // ""' "$TEST_DIR/sink.jsonl" 2>/dev/null)
check "no link to another host reached the platform" bash -c '[ -n "$1" ] && ! grep -q "evil.example\|javascript:" <<<"$1"' _ "$sent"
links=$(jq -r '[.alerts[] | .drilldown_url, .runbook_url] | join(" ")' <<<"$sent" 2>/dev/null)
check "relative drill-down paths and runbooks under RUNBOOK_BASE_URL still arrive as links ($links)" \
  test "$links" = "      http://observer.example:8080/anomalies/detail?rule=burst $RUNBOOK_BASE/prometheus/runbook.md#riskburst  $RUNBOOK_BASE/prometheus/runbook.md#other"

cp "$TEST_DIR/links.json" "$TEST_DIR/plain.txt"
status=$(post text/plain "$TEST_DIR/plain.txt")
check "a well-formed payload as text/plain answers 415 (got $status)" test "$status" = 415
status=$(post 'application/json; charset=utf-8' "$TEST_DIR/links.json")
check "application/json with a charset is accepted (got $status)" test "$status" = 200

# Finding 5, the token: only Alertmanager's bearer token (RELAY_TOKEN) gets a message into the chat group.
# (On code without the token every one of these is delivered: 200.)
sent_before=$(jq -s length "$TEST_DIR/sink.jsonl" 2>/dev/null || echo 0)
for auth in "" "Bearer " "Bearer ${RELAY_TOKEN}x" "Bearer ${RELAY_TOKEN%?}" "Basic $RELAY_TOKEN" "bearer $RELAY_TOKEN"; do
  status=$(post application/json "$TEST_DIR/links.json" "$auth")
  check "Authorization '${auth:0:12}...' is refused with 401 (got $status)" test "$status" = 401
done
check "  ... and none of them reached the platform" test "$(jq -s length "$TEST_DIR/sink.jsonl" 2>/dev/null || echo 0)" = "$sent_before"
status=$(post application/json "$TEST_DIR/links.json")
check "the right token is accepted (got $status)" test "$status" = 200
refusals=$(metric_value "http://127.0.0.1:$AGG/metrics" newapi_aggregator_relay_unauthorized_total)
check "the refusals are counted ($refusals)" test "${refusals:-0}" = 6
(export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG ALERT_WEBHOOK_URL="http://127.0.0.1:$SINK/webhook"
 unset RELAY_TOKEN; exec timeout 5 "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/no-token.log" 2>&1
code=$?
check "a chat target without RELAY_TOKEN refuses to start: exit 2 naming RELAY_TOKEN (got $code)" \
  bash -c '[ "$1" = 2 ] && grep -q RELAY_TOKEN "$2"' _ "$code" "$TEST_DIR/no-token.log"

# /metrics of the exporter carries user and token names (Top-K): with METRICS_TOKEN only Prometheus reads it.
METRICS_TOKEN=metrics-$(random_password)
(export DB_PORT=$DB_PORT DB_PASS_RO=ro-pass API_PORT=$EXPORTER API_AUTH=none METRICS_TOKEN
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
check "the exporter starts with METRICS_TOKEN" wait_until 15 curl -fsS -o /dev/null "http://127.0.0.1:$EXPORTER/api/health"
metrics_status() { curl -s -o /dev/null -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} "http://127.0.0.1:$EXPORTER/metrics"; }
check "/metrics without the token answers 401 (got $(metrics_status))" test "$(metrics_status)" = 401
check "/metrics with a wrong token answers 401" test "$(metrics_status "${METRICS_TOKEN}x")" = 401
check "/metrics with the token answers 200" test "$(metrics_status "$METRICS_TOKEN")" = 200
export METRICS_TOKEN
config() { loopback_config "$1" "$EXPORTER" "$AGG" 1 1s; }  # FILE: Prometheus' files on loopback, 1 s scrapes
prometheus_start "$TEST_DIR/prometheus" "$PROMETHEUS" "$TEST_DIR/prometheus.log" config || fail "Prometheus did not start"
scraped() {
  curl -fsS "http://127.0.0.1:$PROMETHEUS/api/v1/query" --data-urlencode 'query=up{job="newapi-exporter"} == 1' |
    jq -e '.data.result | length == 1' >/dev/null
}
check "Prometheus scrapes the exporter with the token from prometheus.yml's credentials_file" wait_until 20 scraped

check "the aggregator is alive at the end" alive
finish
