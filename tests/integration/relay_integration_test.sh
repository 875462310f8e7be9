#!/usr/bin/env bash
# The chat relay as real processes on loopback: newapi-aggregator relays Alertmanager payloads to relay_sink, a
# stand-in for the platforms that checks their signatures.
#  - the sink fails its first 3 DingTalk requests with 500; posting as Alertmanager does (retry on 5xx with
#    backoff) delivers the alert exactly once, correctly signed;
#  - Feishu (signed card), the generic webhook and HTTPS with a private CA deliver; HTTPS without that CA does not;
#  - a target that is not configured 404 (counted, nothing sent), bad payload 400, platform refusal 422, hanging
#    platform 502 within the relay's timeout, the 21st DingTalk message in a minute 503 with Retry-After;
#  - named targets (CHAT_TARGETS_FILE): two DingTalk robots with different secrets behind a real Alertmanager running
#    alertmanager.yml with its routing examples uncommented: a critical alert reaches the on-call robot with its
#    @-mentions and the default robot without, a warning only the default one, nothing goes anywhere else; the
#    targets file reloaded by POST /-/reload (a broken file refused, the running targets kept) and SIGHUP;
#  - metrics.md matches /metrics, and no URL token or secret appears in the logs or /metrics.
# Usage: relay_integration_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+7)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 AGG_A=$(($2 + 1)) SINK=$(($2 + 2)) AGG_B=$(($2 + 3)) TLS_SINK=$(($2 + 4)) AGG_C=$(($2 + 5))
AGG_D=$(($2 + 6)) AM_PORT=$(($2 + 7))
make_test_dir
cleanup() {
  alertmanager_stop "$TEST_DIR/alertmanager"
  for p in agg_a agg_b agg_c agg_d sink tls_sink; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  mariadb_stop "$TEST_DIR/db"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

TOKEN=tok$(random_password) HOOK=hook$(random_password) DING_SECRET=SEC$(random_password) FEISHU_SECRET=fs$(random_password)
WECOM_KEY=key$(random_password) WEBHOOK_TOKEN=wh$(random_password)
ONCALL_TOKEN=oncall$(random_password) ONCALL_SECRET=SEConcall$(random_password) OPS_TOKEN=ops$(random_password)
OPS_SECRET=SECops$(random_password)
printf '%s' "$DING_SECRET" >"$TEST_DIR/dingtalk.secret"

mariadb_start "$TEST_DIR/db" "$DB_PORT" || { fail "MariaDB did not start"; finish; }
mariadb_sql "$TEST_DIR/db" "CREATE DATABASE \`new-api\`"
mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot new-api <"$REPO_ROOT/schema/newapi-schema.sql"
create_observer_users "$TEST_DIR/db" ro-pass agg-pass

# A certificate for 127.0.0.1 from a throwaway key: the HTTPS sink's, and the CA the relay is told to trust.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TEST_DIR/key.pem" -out "$TEST_DIR/cert.pem" -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
SINK_DINGTALK_SECRET=$DING_SECRET SINK_FEISHU_SECRET=$FEISHU_SECRET SINK_DINGTALK_SECRET_ONCALL=$ONCALL_SECRET \
  SINK_DINGTALK_SECRET_OPS=$OPS_SECRET \
  start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/sink.jsonl" 3
start_background "$TEST_DIR/tls_sink.pid" "$TEST_DIR/tls_sink.out" \
  "$BUILD_DIR/tests/relay_sink" "$TLS_SINK" "$TEST_DIR/tls_sink.jsonl" 0 "$TEST_DIR/cert.pem" "$TEST_DIR/key.pem"

# What Alertmanager sends as its bearer token (alertmanager.yml http_config.authorization).
RELAY_TOKEN=relay-$(random_password)
# aggregator NAME PORT VAR=VALUE...: started in the background with the database settings and RELAY_TOKEN.
aggregator() {
  local name=$1 port=$2; shift 2
  (export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$port LOG_LEVEL=debug RELAY_TOKEN=$RELAY_TOKEN "$@"
   exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/$name.log" 2>&1 &
  echo $! >"$TEST_DIR/$name.pid"
}
aggregator agg_a "$AGG_A" \
  DINGTALK_WEBHOOK_URL="http://127.0.0.1:$SINK/dingtalk/robot/send?access_token=$TOKEN" \
  DINGTALK_SECRET_FILE="$TEST_DIR/dingtalk.secret" \
  FEISHU_WEBHOOK_URL="http://127.0.0.1:$SINK/feishu/hook/$HOOK" FEISHU_SECRET="$FEISHU_SECRET" \
  ALERT_WEBHOOK_URL="http://127.0.0.1:$SINK/webhook?token=$WEBHOOK_TOKEN" \
  FRONTEND_URL=http://observer.example:8080/ ALERT_LANGUAGE=zh
aggregator agg_b "$AGG_B" \
  WECOM_WEBHOOK_URL="http://127.0.0.1:$SINK/wecom-reject/send?key=$WECOM_KEY" \
  DINGTALK_WEBHOOK_URL="http://127.0.0.1:$SINK/slow?access_token=$TOKEN" \
  ALERT_WEBHOOK_URL="https://127.0.0.1:$TLS_SINK/webhook" RELAY_CA_FILE="$TEST_DIR/cert.pem" ALERT_LANGUAGE=en
aggregator agg_c "$AGG_C" ALERT_WEBHOOK_URL="https://127.0.0.1:$TLS_SINK/webhook"
# Two DingTalk robots with different secrets, URLs and secrets in files beside the targets file; no robot from the
# environment. "default" is where alertmanager.yml's default receiver posts.
mkdir -p "$TEST_DIR/targets"
printf '%s\n' "http://127.0.0.1:$SINK/dingtalk/oncall/send?access_token=$ONCALL_TOKEN" >"$TEST_DIR/targets/oncall.url"
printf '%s' "$ONCALL_SECRET" >"$TEST_DIR/targets/oncall.secret"
printf '%s' "$OPS_SECRET" >"$TEST_DIR/targets/ops.secret"
cat >"$TEST_DIR/targets/chat-targets.yaml" <<YAML
targets:
  oncall:
    platform: dingtalk
    url_file: oncall.url
    secret_file: oncall.secret
    mention: {mobiles: ["13800000000"], user_ids: [duty-manager]}
  default:
    platform: dingtalk
    url: http://127.0.0.1:$SINK/dingtalk/ops/send?access_token=$OPS_TOKEN
    secret_file: $TEST_DIR/targets/ops.secret
YAML
aggregator agg_d "$AGG_D" CHAT_TARGETS_FILE="$TEST_DIR/targets/chat-targets.yaml" ALERT_LANGUAGE=zh
for port in "$AGG_A" "$AGG_B" "$AGG_C" "$AGG_D"; do
  wait_until 15 curl -fsS "http://127.0.0.1:$port/metrics" || { fail "the aggregator on $port did not start"; tail -5 "$TEST_DIR"/agg_*.log >&2; finish; }
done
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK" || { fail "the sink did not start"; finish; }

cat >"$TEST_DIR/payload.json" <<'JSON'
{"version":"4","groupKey":"{}:{alertname=\"NewapiRiskBurst\"}","truncatedAlerts":0,"status":"firing","receiver":"risk",
 "groupLabels":{"alertname":"NewapiRiskBurst"},"commonLabels":{"alertname":"NewapiRiskBurst","severity":"critical"},
 "commonAnnotations":{},"externalURL":"http://127.0.0.1:9093",
 "alerts":[{"status":"firing","labels":{"alertname":"NewapiRiskBurst","severity":"critical","rule":"burst",
   "subject_type":"token","subject_id":"42","subject_name":"demo-key"},
   "annotations":{"summary":"Token 42 made 130 requests in 60 s","description":"Threshold 120; score 130.",
   "drilldown_path":"/anomalies/detail?rule=burst&subject_type=token&subject_id=42",
   "runbook_url":"prometheus/runbook.md#riskburst"},
   "startsAt":"2024-05-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"a1b2"}]}
JSON

# post PORT PATH [FILE]: one POST like Alertmanager's; prints the HTTP status, keeps the body in $TEST_DIR/answer.
post() {
  curl -s -o "$TEST_DIR/answer" -D "$TEST_DIR/headers" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $RELAY_TOKEN" \
    --data-binary @"${3:-$TEST_DIR/payload.json}" "http://127.0.0.1:$1$2"
}
# post_like_alertmanager PORT PATH: retries on 5xx with doubling waits (Alertmanager backs off exponentially),
# stops on anything else; prints "ATTEMPTS STATUS".
post_like_alertmanager() {
  local attempts=0 status wait=0.2
  while :; do
    attempts=$((attempts + 1)); status=$(post "$1" "$2")
    [[ $status == 5* && $attempts -lt 10 ]] || break
    sleep "$wait"; wait=$(awk -v w="$wait" 'BEGIN { print w * 2 }')
  done
  echo "$attempts $status"
}
sink_count() { jq -s "[.[] | select($1)] | length" "$TEST_DIR/sink.jsonl"; }

start=$(now_ms)
read -r attempts status < <(post_like_alertmanager "$AGG_A" /relay/dingtalk)
elapsed=$(( $(now_ms) - start ))
check "DingTalk: delivered after Alertmanager-style retries (status $status after $attempts attempts, $elapsed ms)" \
  test "$status" = 200 -a "$attempts" = 4
check "the sink saw 3 failed requests and then exactly one delivery" \
  test "$(sink_count '.path == "/dingtalk/robot/send"')/$(sink_count '.path == "/dingtalk/robot/send" and .answered == 200')" = 4/1
check "every DingTalk request was correctly signed (the sink checked HMAC-SHA256 of timestamp + secret)" \
  test "$(sink_count '.path == "/dingtalk/robot/send" and .sign_ok != true')" = 0
delivered=$(jq -s '[.[] | select(.path == "/dingtalk/robot/send" and .answered == 200)][0]' "$TEST_DIR/sink.jsonl")
text=$(jq -r '.body | fromjson | .markdown.text' <<<"$delivered")
check "the message is DingTalk markdown naming the token and the rule" \
  bash -c '[ "$(jq -r ".body | fromjson | .msgtype" <<<"$1")" = markdown ] && grep -q "token 42 (demo-key) · 规则: burst" <<<"$2"' _ "$delivered" "$text"
check "it carries the evidence and the drill-down link on FRONTEND_URL" \
  bash -c 'grep -q "Token 42 made 130 requests in 60 s" <<<"$1" && grep -qF "[查看详情](http://observer.example:8080/anomalies/detail?rule=burst&subject_type=token&subject_id=42)" <<<"$1"' _ "$text"
check "the access token was passed through" test "$(jq -r '.query.access_token' <<<"$delivered")" = "$TOKEN"

check "Feishu: delivered (status $(post "$AGG_A" /relay/feishu))" test "$(jq -r .status "$TEST_DIR/answer")" = delivered
check "Feishu: a signed interactive card" \
  test "$(sink_count '(.path | startswith("/feishu/hook/")) and .sign_ok == true and ((.body | fromjson | .msg_type) == "interactive")')" = 1
check "webhook: delivered (status $(post "$AGG_A" /relay/webhook))" test "$(jq -r .status "$TEST_DIR/answer")" = delivered
check "webhook: clean JSON with the drill-down URL" \
  test "$(jq -s -r '[.[] | select(.path == "/webhook")][0].body | fromjson | .alerts[0].drilldown_url' "$TEST_DIR/sink.jsonl")" = \
       "http://observer.example:8080/anomalies/detail?rule=burst&subject_type=token&subject_id=42"
status=$(post "$AGG_A" /relay/wecom)
check "a target that is not configured answers 404 (got $status: $(cat "$TEST_DIR/answer"))" test "$status" = 404
check "and so does a name nobody configured (got $(post "$AGG_A" /relay/no-such-group))" test "$(jq -r .code "$TEST_DIR/answer")" = 404
echo '{"status": "firing"' >"$TEST_DIR/bad.json"
check "a body that is not an Alertmanager payload answers 400" test "$(post "$AGG_A" /relay/feishu "$TEST_DIR/bad.json")" = 400

check "a platform refusal (WeCom errcode 93000) answers 422: Alertmanager does not retry" test "$(post "$AGG_B" /relay/wecom)" = 422
start=$(now_ms); status=$(post "$AGG_B" /relay/dingtalk); elapsed=$(( $(now_ms) - start ))
check "a hanging platform answers 502 (got $status) within the relay's timeout (took $elapsed ms)" \
  test "$status" = 502 -a "$elapsed" -lt 11000
check "HTTPS with RELAY_CA_FILE delivers (status $(post "$AGG_B" /relay/webhook))" test "$(jq -r .status "$TEST_DIR/answer")" = delivered
check "the HTTPS sink received it" test "$(jq -s length "$TEST_DIR/tls_sink.jsonl")" = 1
status=$(post "$AGG_C" /relay/webhook)
check "HTTPS to a certificate the system does not trust fails as transient (got $status: $(jq -r .error "$TEST_DIR/answer"))" \
  test "$status" = 502
check "and nothing reached the sink" test "$(jq -s length "$TEST_DIR/tls_sink.jsonl")" = 1

# DingTalk allows 20 messages per minute per robot; 4 were sent (3 failed). 16 more pass, the next is held back.
ok=0
while [ "$(post "$AGG_A" /relay/dingtalk)" = 200 ] && [ $ok -lt 30 ]; do ok=$((ok + 1)); done
retry_after=$(tr -d '\r' <"$TEST_DIR/headers" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')
check "the 21st DingTalk message within a minute answers 503 after $ok more deliveries (Retry-After: $retry_after s)" \
  test "$ok" = 16 -a -n "$retry_after"
check "the sink never got more than 20 DingTalk requests" test "$(sink_count '.path == "/dingtalk/robot/send"')" = 20

METRICS=http://127.0.0.1:$AGG_A/metrics
check "deliveries counted: 17 delivered, 3 transient failures" test \
  "$(metric_value "$METRICS" 'newapi_aggregator_relay_deliveries_total{outcome="delivered",platform="dingtalk",target="dingtalk"}')/$(metric_value "$METRICS" 'newapi_aggregator_relay_deliveries_total{outcome="transient_failure",platform="dingtalk",target="dingtalk"}')" = 17/3
check "the rate-limited message is counted" \
  test "$(metric_value "$METRICS" 'newapi_aggregator_relay_rate_limited_total{platform="dingtalk",target="dingtalk"}')" = 1
check "requests to unknown targets are counted" test "$(metric_value "$METRICS" newapi_aggregator_relay_unknown_target_total)" = 2
check "the invalid payload is counted" \
  test "$(metric_value "$METRICS" 'newapi_aggregator_relay_invalid_payloads_total{target="feishu"}')" = 1
check "configured targets are visible, unconfigured ones absent" test \
  "$(metric_value "$METRICS" 'newapi_aggregator_relay_target_configured{platform="feishu",target="feishu"}')/$(metric_value "$METRICS" 'newapi_aggregator_relay_target_configured{platform="wecom",target="wecom"}')" = 1/
check "aggregator metrics.md matches /metrics" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" "$METRICS" "$REPO_ROOT/aggregator/metrics.md"
count=$(metric_value "$METRICS" 'newapi_aggregator_relay_delivery_duration_seconds_count{platform="dingtalk",target="dingtalk"}')
sum=$(metric_value "$METRICS" 'newapi_aggregator_relay_delivery_duration_seconds_sum{platform="dingtalk",target="dingtalk"}')
pass "mean DingTalk delivery to the local sink: $(awk -v s="$sum" -v c="$count" 'BEGIN { printf "%.2f", 1000 * s / c }') ms over $count sends"

# Named targets behind a real Alertmanager: alertmanager.yml with its routing examples uncommented, loopback
# addresses and a 1 s group_wait. A critical alert goes to the on-call target (with its mentions) and, through the
# default receiver, to the default target; a warning only to the default target.
: >"$TEST_DIR/sink.jsonl"
alertmanager_examples "$REPO_ROOT/alertmanager/alertmanager.yml" >"$TEST_DIR/am-examples.yml"
loopback_config "$TEST_DIR/am-examples.yml" 1 "$AGG_D" "$AM_PORT" "" "" 1s |
  RELAY_TOKEN=$RELAY_TOKEN alertmanager_start "$TEST_DIR/alertmanager" "$AM_PORT" || { fail "Alertmanager did not start"; finish; }
post_alert() {
  jq -n --arg name "$1" --arg component "$2" --arg severity "$3" \
    '[{labels: {alertname: $name, component: $component, severity: $severity},
       annotations: {summary: ($name + " fired"), summary_zh: ($name + " 已触发")}}]' |
    curl -fsS -o /dev/null -H 'Content-Type: application/json' -d @- "http://127.0.0.1:$AM_PORT/api/v2/alerts"
}
post_alert NewapiDatabaseDown database critical
# (Not a usage alert: NewapiDatabaseDown inhibits those.)
post_alert NewapiExporterSlow exporter warning
to_robot() { jq -s -c --arg path "/dingtalk/$1/send" "[.[] | select(.path == \$path)]" "$TEST_DIR/sink.jsonl"; }
arrived() { [ "$(to_robot oncall | jq length)" -ge 1 ] && [ "$(to_robot ops | jq length)" -ge 2 ]; }
check "Alertmanager's notifications reached the on-call and the default robots" wait_until 30 arrived ||
  { grep -v level=debug "$TEST_DIR/alertmanager/alertmanager.log" | tail -5 >&2; }
sleep 2  # anything else Alertmanager would send has had its group_wait
oncall=$(to_robot oncall) ops=$(to_robot ops)
check "the on-call robot got one message: the critical alert, signed with its own secret" \
  test "$(jq -c '[length, .[0].sign_ok, (.[0].body | fromjson | .markdown.title)]' <<<"$oncall")" = '[1,true,"[告警] NewapiDatabaseDown"]'
check "with its @-mentions from the targets file (at.atMobiles, at.atUserIds, @ in the text)" bash -c '
  body=$(jq -r ".[0].body" <<<"$1")
  [ "$(jq -c .at <<<"$body")" = "{\"atMobiles\":[\"13800000000\"],\"atUserIds\":[\"duty-manager\"],\"isAtAll\":false}" ] &&
  jq -r .markdown.text <<<"$body" | grep -q "@13800000000 @duty-manager"' _ "$oncall"
check "the default robot got both alerts, signed with its secret, without mentions" test \
  "$(jq -c '[length, (map(.sign_ok) | all), (map(.body | fromjson | has("at")) | any), (map(.body | fromjson | .markdown.title) | sort)]' <<<"$ops")" = \
  '[2,true,false,["[告警] NewapiDatabaseDown","[告警] NewapiExporterSlow"]]'
check "every message carries the keyword 告警 (DingTalk's keyword check)" \
  test "$(jq -s '[.[] | select((.body | fromjson | .markdown.text) | contains("告警") | not)] | length' "$TEST_DIR/sink.jsonl")" = 0
check "nothing was posted anywhere else" test "$(jq -s '[.[] | select(.path != "/dingtalk/oncall/send" and .path != "/dingtalk/ops/send")] | length' "$TEST_DIR/sink.jsonl")" = 0
METRICS_D=http://127.0.0.1:$AGG_D/metrics
check "no request for an unknown target" test "$(metric_value "$METRICS_D" newapi_aggregator_relay_unknown_target_total)" = 0
check "Alertmanager logged no failed notification" \
  bash -c '! grep -Ei "notify.*(fail|error)|error.*notify" "$1"' _ "$TEST_DIR/alertmanager/alertmanager.log"

# Reload: a broken file is refused with the key named, and the running targets stay; then a fixed one through SIGHUP.
cp "$TEST_DIR/targets/chat-targets.yaml" "$TEST_DIR/targets/good.yaml"
printf '  night:\n    platform: dingtalk\n    url: http://127.0.0.1:%s/dingtalk/ops/send?access_token=%s\n    secret_file: ops.secret\n    mention: {alls: true}\n' \
  "$SINK" "$OPS_TOKEN" >>"$TEST_DIR/targets/chat-targets.yaml"
status=$(curl -s -o "$TEST_DIR/answer" -w '%{http_code}' -X POST "http://127.0.0.1:$AGG_D/-/reload")
check "POST /-/reload of a broken targets file answers 400 naming the key (got $status: $(jq -r .error "$TEST_DIR/answer"))" \
  bash -c '[ "$1" = 400 ] && jq -r .error "$2" | grep -q "targets.night.mention.alls: unknown key"' _ "$status" "$TEST_DIR/answer"
check "the reload gauge says so" test "$(metric_value "$METRICS_D" newapi_aggregator_relay_config_last_reload_successful)" = 0
check "the running targets stay (got $(post "$AGG_D" /relay/oncall))" test "$(jq -r .status "$TEST_DIR/answer")" = delivered
check "the broken file's new target is not there (got $(post "$AGG_D" /relay/night))" test "$(jq -r .code "$TEST_DIR/answer")" = 404
sed 's/alls: true/all: true/' "$TEST_DIR/targets/chat-targets.yaml" >"$TEST_DIR/targets/fixed.yaml"
mv "$TEST_DIR/targets/fixed.yaml" "$TEST_DIR/targets/chat-targets.yaml"
kill -HUP "$(cat "$TEST_DIR/agg_d.pid")"
reloaded() { [ "$(metric_value "$METRICS_D" newapi_aggregator_relay_config_last_reload_successful)" = 1 ]; }
check "SIGHUP loads the fixed file" wait_until 10 reloaded
check "its new target delivers (got $(post "$AGG_D" /relay/night))" test "$(jq -r .status "$TEST_DIR/answer")" = delivered
check "with @all" test "$(jq -s -c '[.[] | select(.path == "/dingtalk/ops/send")][-1].body | fromjson | .at.isAtAll' "$TEST_DIR/sink.jsonl")" = true
check "the targets are visible on /metrics" test \
  "$(metric_value "$METRICS_D" 'newapi_aggregator_relay_target_configured{platform="dingtalk",target="night"}')" = 1
check "aggregator metrics.md matches /metrics (named targets)" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" "$METRICS_D" "$REPO_ROOT/aggregator/metrics.md"

for port in "$AGG_A" "$AGG_B" "$AGG_C" "$AGG_D"; do curl -fsS "http://127.0.0.1:$port/metrics" >>"$TEST_DIR/all_metrics"; done
for name in TOKEN HOOK DING_SECRET FEISHU_SECRET WECOM_KEY WEBHOOK_TOKEN ONCALL_TOKEN ONCALL_SECRET OPS_TOKEN OPS_SECRET; do
  check "no $name in the logs or /metrics" \
    bash -c '! grep -qF -- "$1" "$2"/agg_a.log "$2"/agg_b.log "$2"/agg_c.log "$2"/agg_d.log "$2"/all_metrics' _ "${!name}" "$TEST_DIR"
done
check "the logs say where deliveries went by host only" grep -q '"host":"127.0.0.1"' "$TEST_DIR/agg_a.log"
finish
