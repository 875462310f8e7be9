#!/usr/bin/env bash
# Alerting end to end on the native stack: the simulator's burst -> the exporter's newapi_anomaly gauge ->
# Prometheus' RiskBurst -> Alertmanager -> newapi-aggregator's relay -> relay_sink as the DingTalk robot, which must
# receive one correctly signed message naming the token, within a bound; prints the delay from the first burst row.
# The same alert also reaches the aggregator's response actions (ACTIONS_FILE: burst disables the token's owner) and
# newapi_admin_stub, a recording stand-in for new-api's admin API, must get exactly one disable call for that user;
# prints the audit table of the run.
# Test timings, set through the stack's one substitution step (scripts/lib/services.sh loopback_config) on the
# repository's own configs and rules: 1 s scrape and rule evaluation, for: 2s, group_wait 1s.
# Usage: alerting_e2e_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+7)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 PORT_BASE=$2 SINK=$(($2 + 6)) ADMIN_STUB=$(($2 + 7))
private_stack "$PORT_BASE"
trap '"$STACK" down >/dev/null 2>&1; stop_pidfile "$TEST_DIR/sink.pid" 10; stop_pidfile "$TEST_DIR/stub.pid" 10; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT
# One burst (the injector's first kind) 30 s after the simulator starts, and nothing else injected during the test.
export STACK_SCRAPE_INTERVAL=1s STACK_ALERT_FOR=2s STACK_GROUP_WAIT=1s STACK_ANOMALY_INTERVAL=3600
# The burst rule fires at the 120th of 170 requests spread over 56 s (simulator/anomalies.cc), 39 s after the first;
# then the exporter's tail poll (1 s), a scrape (1 s), an evaluation (1 s), for: (2 s, plus up to 1 s to the next
# evaluation), group_wait (1 s) and the send: about 46 s. 60 s leaves room for a loaded machine.
BOUND_MS=60000

DINGTALK_TOKEN=tok$(random_password) DINGTALK_SECRET_VALUE=SEC$(random_password)
SINK_DINGTALK_SECRET=$DINGTALK_SECRET_VALUE \
  start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/sink.jsonl" 0
# The stack's aggregator inherits the relay settings; the other platforms stay unset, and alertmanager.yml's default
# receiver posts to the relay's default target: this robot only.
export DINGTALK_WEBHOOK_URL="http://127.0.0.1:$SINK/dingtalk/robot/send?access_token=$DINGTALK_TOKEN"
export DINGTALK_SECRET=$DINGTALK_SECRET_VALUE
# Response actions, live for burst: the stack's Alertmanager routes every risk alert to /actions as well.
ADMIN_TOKEN=admin-$(random_password)
printf '%s' "$ADMIN_TOKEN" >"$TEST_DIR/admin.token"
start_background "$TEST_DIR/stub.pid" "$TEST_DIR/stub.out" "$BUILD_DIR/tests/newapi_admin_stub" "$ADMIN_STUB" \
  "$TEST_DIR/calls.jsonl" "$ADMIN_TOKEN"
printf 'rules:\n  burst: {disable_user: true, dry_run: false}\n' >"$TEST_DIR/actions.yaml"
export ACTIONS_FILE=$TEST_DIR/actions.yaml NEWAPI_ADMIN_URL=http://127.0.0.1:$ADMIN_STUB \
  NEWAPI_ADMIN_TOKEN_FILE=$TEST_DIR/admin.token NEWAPI_ADMIN_USER_ID=1

"$STACK" up >"$TEST_DIR/up.out" 2>&1 || { fail "scripts/stack up failed"; cat "$TEST_DIR/up.out" >&2; finish; }
INJECTIONS=$STACK_DIR/logs/injections.jsonl
burst() { jq -c 'select(.kind == "burst")' "$INJECTIONS" 2>/dev/null | head -n 1 | grep -q .; }
check "the simulator injects a burst within 60 s" wait_until 60 burst || finish
injection=$(jq -c 'select(.kind == "burst")' "$INJECTIONS" | head -n 1)
token_id=$(jq -r .details.token_id <<<"$injection")
start_ms=$(( $(jq -r .start <<<"$injection") * 1000 ))
pass "burst on token $token_id ($(jq -r .details.requests <<<"$injection") requests in $(jq -r .details.window_seconds <<<"$injection") s) from $(date -u -d "@$((start_ms / 1000))" +%T) UTC"

# The DingTalk message about this token's burst, once the sink has answered it.
burst_message() {
  jq -c --arg id "$token_id" 'select(.path == "/dingtalk/robot/send" and .answered == 200)
    | select(.body | fromjson | .markdown.title | contains("RiskBurst"))
    | select(.body | fromjson | .markdown.text | contains("token " + $id + " ("))' "$TEST_DIR/sink.jsonl" 2>/dev/null |
    head -n 1
}
arrived() { [ -n "$(burst_message)" ]; }
wait_until $(( BOUND_MS / 1000 + 60 )) arrived
message=$(burst_message)
check "the sink received a DingTalk RiskBurst message naming token $token_id" test -n "$message"
[ -n "$message" ] || { tail -n 20 "$STACK_DIR/logs/aggregator.log" "$STACK_DIR/logs/alertmanager.log" >&2; finish; }
delay_ms=$(( $(jq -r .received_ms <<<"$message") - start_ms ))
pass "first burst row -> DingTalk sink: $delay_ms ms (injection start has 1 s resolution; test timings: 1 s scrape/evaluation, for: 2s, group_wait 1s)"
check "it arrived within $BOUND_MS ms" test "$delay_ms" -le "$BOUND_MS"
check "it was correctly signed (HMAC-SHA256 of timestamp + secret, checked by the sink)" \
  test "$(jq -r .sign_ok <<<"$message")" = true
check "with the robot's access token" test "$(jq -r .query.access_token <<<"$message")" = "$DINGTALK_TOKEN"
text=$(jq -r '.body | fromjson | .markdown.text' <<<"$message")
check "it is a markdown message with the burst's evidence in Chinese (ALERT_LANGUAGE=zh) and the drill-down link" \
  bash -c 'grep -q "突增窗口内发出 [0-9]* 次请求，上限为 [0-9]*。" <<<"$1" && ! grep -q "burst window" <<<"$1" &&
           grep -qF "subject_id=$2)" <<<"$1"' _ "$text" "$token_id"
check "no DingTalk request was badly signed" \
  test "$(jq -s '[.[] | select(.path == "/dingtalk/robot/send" and .sign_ok != true)] | length' "$TEST_DIR/sink.jsonl")" = 0
# Alertmanager posts only where a target exists: no failed notification, no request for an unknown target, and
# nothing but DingTalk requests at the sink.
check "Alertmanager logged no failed notification" \
  bash -c '! grep -Ei "notify.*(fail|error)|error.*notify" "$1"' _ "$STACK_DIR/logs/alertmanager.log"
METRICS=http://127.0.0.1:$STACK_AGGREGATOR_PORT/metrics

# The response action: the burst's token belongs to one user, whom new-api's admin API is asked to disable, once.
owner=$(mariadb_sql "$STACK_DIR/mariadb" "SELECT user_id FROM \`new-api\`.tokens WHERE id = $token_id")
disable_calls() { jq -c --argjson id "$owner" 'select(.body.action == "disable" and .body.id == $id)' "$TEST_DIR/calls.jsonl" 2>/dev/null; }
wait_until 30 bash -c '[ -n "$(jq -c . "$1" 2>/dev/null)" ]' _ "$TEST_DIR/calls.jsonl"
check "new-api's admin API was asked to disable user $owner, the owner of token $token_id: $(disable_calls | head -n 1)" \
  test "$(disable_calls | wc -l)" = 1
check "and nothing else (calls: $(wc -l <"$TEST_DIR/calls.jsonl" 2>/dev/null))" \
  test "$(jq -s length "$TEST_DIR/calls.jsonl" 2>/dev/null)" = 1
echo "the audit of this run (id, actor, action, rule, subject, user, result, evidence):"
mariadb_sql "$STACK_DIR/mariadb" "SELECT id, actor, action, rule, CONCAT(subject_type, ' ', subject_id), user_id, result,
  LEFT(evidence, 80) FROM \`new-api\`.observer_action_audit ORDER BY id" | sed 's/^/  /'
action_message() {
  jq -r 'select(.path == "/dingtalk/robot/send") | .body | fromjson | .markdown.text // .text.content // empty' \
    "$TEST_DIR/sink.jsonl" 2>/dev/null | grep -F "undo-action" | head -n 1
}
wait_until 30 bash -c '[ -n "$1" ] || jq -r ".body" "$2" | grep -q undo-action' _ "" "$TEST_DIR/sink.jsonl"
check "the chat says what was done and how to undo it: $(action_message | head -c 160)" \
  bash -c 'grep -qw "$1" <<<"$2"' _ "$owner" "$(action_message)"
check "the audit has the done disable of user $owner" test "$(mariadb_sql "$STACK_DIR/mariadb" \
  "SELECT COUNT(*) FROM \`new-api\`.observer_action_audit WHERE user_id = $owner AND action = 'disable_user' AND result = 'done'")" = 1
check "the relay got no request for a target that is not configured" \
  test "$(metric_value "$METRICS" newapi_aggregator_relay_unknown_target_total)" = 0
check "nor one for the default target without a robot" \
  test -z "$(metric_value "$METRICS" 'newapi_aggregator_relay_deliveries_total{outcome="not_configured",platform="",target="default"}')"
check "the sink got DingTalk requests only" \
  test "$(jq -s '[.[] | select(.path != "/dingtalk/robot/send")] | length' "$TEST_DIR/sink.jsonl")" = 0
finish
