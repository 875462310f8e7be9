#!/usr/bin/env bash
# Prometheus and Alertmanager configs without the stack: promtool check config / check rules / test rules, every alert
# has a fires case, a runbook section and the required labels and annotations; amtool check-config, a route case
# per alert, and inhibition checked on a private Alertmanager.
# Usage: alerting_config_test.sh ALERTMANAGER_PORT
set -uo pipefail
source "$(dirname "$0")/lib.sh"
AM_PORT=$1
PROM=$REPO_ROOT/prometheus
AM_CONFIG=$REPO_ROOT/alertmanager/alertmanager.yml
make_test_dir
cleanup() { alertmanager_stop "$TEST_DIR/alertmanager"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

quietly() { "$@" >/dev/null 2>&1; }
# The compose file names the METRICS_TOKEN file in Prometheus' container (/run/metrics/token): its syntax here, and in
# full (rule files, credentials file) the native stack's loopback copy, which names a file beside it.
check "promtool check config --syntax-only (compose)" promtool check config --syntax-only "$PROM/prometheus.yml"
mkdir -p "$TEST_DIR/prometheus" && cp -r "$PROM/rules" "$TEST_DIR/prometheus/" && : >"$TEST_DIR/prometheus/metrics-token"
loopback_config "$PROM/prometheus.yml" 8080 8081 9093 >"$TEST_DIR/prometheus/prometheus.yml"
check "promtool check config (the loopback copy)" promtool check config "$TEST_DIR/prometheus/prometheus.yml"
check "promtool check rules" promtool check rules "$PROM"/rules/*.yml
check "promtool test rules" promtool test rules "$PROM"/tests/*.yml

# Each alert: a for:, a severity and component, the four annotations and the Chinese summary and description, a runbook section named after it, and a case
# in the promtool tests where it fires (the does-not-fire cases sit beside it).
mapfile -t alerts < <(sed -n 's/^ *- alert: *//p' "$PROM/rules/alerts.yml")
check "alerts.yml defines 18 alerts (${#alerts[@]})" test "${#alerts[@]}" = 18
# alert_block NAME: the alert's rule, from its '- alert:' line to the next rule or group.
alert_block() { awk -v n="$1" '/^ *- (alert|record):/ { on = ($3 == n) } /^  - name:/ { on = 0 } on' "$PROM/rules/alerts.yml"; }
for alert in "${alerts[@]}"; do
  block=$(alert_block "$alert")
  # The Chinese texts: not ASCII (byte ranges need the C locale).
  for field in 'for:' 'severity:' 'component:' 'summary:' 'description:.*\$value' $'summary_zh: "[^"]*[\x80-\xff]' \
      $'description_zh: "[^"]*[\x80-\xff].*\\$value' "runbook_url: \"prometheus/runbook.md#${alert,,}\"" 'drilldown_path: "/'; do
    LC_ALL=C grep -q "$field" <<<"$block" || fail "$alert has no $field"
  done
  grep -q "^## $alert\$" "$PROM/runbook.md" || fail "$alert has no runbook section"
  grep -q "alertname: $alert\$" <(grep -h -A1 "alertname: $alert\$" "$PROM"/tests/*.yml | grep -B1 'exp_alerts:') ||
    fail "$alert has no firing case in prometheus/tests"
  [ "$(cat "$PROM"/tests/*.yml | grep -c "alertname: $alert\$")" -ge 2 ] ||
    fail "$alert has no does-not-fire case in prometheus/tests"
done
pass "every alert has for:, severity, component, annotations, a runbook section and fires/does-not-fire cases"

check "amtool check-config" amtool check-config "$AM_CONFIG"
# README's example of Alertmanager's own receivers (Telegram, email, WeChat Work application) is a valid config.
{ printf 'route:\n  receiver: telegram\n'
  awk '/^\*\*Receivers that need no relay/ { on = 1 } on && /^```yaml/ { block = 1; next } block && /^```/ { exit } block' \
    "$REPO_ROOT/README.md"; } >"$TEST_DIR/native-receivers.yml"
check "README's native receivers example passes amtool check-config" \
  bash -c 'grep -q wechat_configs "$1" && amtool check-config "$1" >/dev/null 2>&1' _ "$TEST_DIR/native-receivers.yml"
# route_case RECEIVER LABELS...: the alert with these labels goes to RECEIVER.
route_case() {
  local receiver=$1; shift
  check "route: $* -> $receiver" quietly amtool config routes test --config.file="$AM_CONFIG" --verify.receivers="$receiver" "$@"
}
# Every risk hit also reaches the response actions' receiver (the aggregator acts only for rules ACTIONS_FILE enables).
route_case watchdog alertname=Watchdog severity=none component=meta
route_case actions,chat alertname=RiskBurst severity=critical component=risk rule=burst subject_type=token subject_id=42
route_case actions,chat alertname=RiskMultiUserToken severity=warning component=risk rule=multi_user_token
route_case actions,chat alertname=RiskIpManyUsers severity=warning component=risk rule=ip_many_users
route_case actions,chat alertname=RiskBigRequest severity=warning component=risk rule=big_request
route_case chat alertname=NewapiExporterDown severity=critical component=exporter
route_case chat alertname=NewapiAggregatorDown severity=critical component=aggregator
route_case chat alertname=NewapiDatabaseDown severity=critical component=database job=newapi-exporter
route_case chat alertname=NewapiTailLagging severity=warning component=tail
route_case chat alertname=NewapiAggregatorStale severity=warning component=rollup
route_case chat alertname=NewapiChannelErrorRatioHigh severity=warning component=usage channel=3
route_case chat alertname=NewapiChannelLatencyHigh severity=warning component=usage channel=3
route_case chat alertname=NewapiSpendSpike severity=warning component=usage
route_case chat alertname=NewapiModelSilent severity=warning component=usage model=gpt-4o
route_case chat alertname=NewapiChannelSilent severity=warning component=usage channel=3
route_case chat alertname=NewapiModelErrorRatioHigh severity=warning component=usage model=gpt-4o
route_case chat alertname=NewapiChannelAutoDisabled severity=warning component=usage channel=4 name=openai-main
route_case chat alertname=NewapiChannelBalanceLow severity=warning component=usage channel=5 name=claude-backup
for alert in "${alerts[@]}"; do
  grep -q "^route_case \(actions,\)\?chat alertname=$alert \|^route_case watchdog alertname=$alert " "$0" || fail "$alert has no route case in this test"
done
# The commented routing examples, uncommented: critical alerts also to the on-call target, risk rules to the risk
# team's target instead of the default one.
alertmanager_examples "$AM_CONFIG" >"$TEST_DIR/examples.yml"
check "amtool check-config (the routing examples uncommented)" quietly amtool check-config "$TEST_DIR/examples.yml"
AM_CONFIG=$TEST_DIR/examples.yml
route_case oncall,chat alertname=NewapiDatabaseDown severity=critical component=database job=newapi-exporter
route_case actions,oncall,risk-team alertname=RiskBurst severity=critical component=risk rule=burst
route_case actions,risk-team alertname=RiskBigRequest severity=warning component=risk rule=big_request
route_case chat alertname=NewapiSpendSpike severity=warning component=usage
AM_CONFIG=$REPO_ROOT/alertmanager/alertmanager.yml

# Inhibition on a real Alertmanager: the database is down, so the usage, risk and rollup alerts it explains are held
# back; the aggregator's own outage is not.
loopback_config "$AM_CONFIG" 1 1 1 | alertmanager_start "$TEST_DIR/alertmanager" "$AM_PORT" || { finish; }
AM=http://127.0.0.1:$AM_PORT
post_alert() {
  jq -n --arg name "$1" --arg component "$2" --arg severity "$3" \
    '[{labels: {alertname: $name, component: $component, severity: $severity}}]' |
    curl -fsS -o /dev/null -H 'Content-Type: application/json' -d @- "$AM/api/v2/alerts"
}
post_alert NewapiDatabaseDown database critical
post_alert NewapiChannelSilent usage warning
post_alert RiskBurst risk critical
post_alert NewapiAggregatorStale rollup warning
post_alert NewapiAggregatorDown aggregator critical
inhibited() { [ "$(curl -fsS "$AM/api/v2/alerts?filter=alertname%3D$1" | jq -r '.[0].status.inhibitedBy | length > 0')" = "$2" ]; }
check "DatabaseDown holds back ChannelSilent" wait_until 10 inhibited NewapiChannelSilent true
check "DatabaseDown holds back RiskBurst" inhibited RiskBurst true
check "DatabaseDown holds back AggregatorStale" inhibited NewapiAggregatorStale true
check "AggregatorDown is not held back" inhibited NewapiAggregatorDown false
check "DatabaseDown itself is not held back" inhibited NewapiDatabaseDown false
finish
