#!/usr/bin/env bash
# The risk rules on simulator data (DB_ENGINE: MariaDB or PostgreSQL): a history with an anomaly and a decoy every
# hour after its first day, checked by risk_rules_check (streaming = SQL, every injection found, decoys and normal
# traffic quiet, allow-lists; adaptive mode with the aggregator's baselines); then a running exporter's rules.yaml reload: POST /-/reload and SIGHUP change
# thresholds live, broken files are rejected with a clear error and the old rules stay.
# Usage: risk_rules_test.sh BUILD_DIR PORT_BASE
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 EXPORTER_PORT=$(($2 + 1))
make_test_dir
DB=$TEST_DIR/db
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 10; db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT
METRICS=http://127.0.0.1:$EXPORTER_PORT/metrics
INJECTIONS=$TEST_DIR/injections.jsonl

simulated_database "$DB" "$DB_PORT" --history.rows=300000 --history.days=3 --users=600 \
  --history.anomaly-interval=3600 --injections.file="$INJECTIONS" || { fail "the simulated database did not start"; finish; }
check "the history holds injections ($(wc -l <"$INJECTIONS") lines)" test "$(wc -l <"$INJECTIONS")" -ge 16

DB_ENGINE=$(db_engine) NEWAPI_CHECK_DB_PORT=$DB_PORT NEWAPI_CHECK_INJECTIONS=$INJECTIONS "$BUILD_DIR/tests/risk_rules_check" \
  >"$TEST_DIR/check.log" 2>&1
status=$?
grep -E "^(streamed|SQL|[0-9]+ injected|baselines|adaptive|detection)|Failure|only:|flagged|not found" "$TEST_DIR/check.log" | head -80
check "streaming and SQL evaluators agree; injections found; decoys, normal traffic and allow-lists quiet" test "$status" = 0

# A running exporter: rules.yaml at start, big_request from its first minute, reloads.
RULES=$TEST_DIR/rules.yaml
printf 'burst:\n  limit: 300\nallow:\n  ips: ["10.0.0.0/8"]\n' >"$RULES"
(export DB_TYPE=$(db_engine) DB_PORT API_PORT=$EXPORTER_PORT DB_PASS_RO=ro-pass RULES_FILE=$RULES
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
threshold() { metric_value "$METRICS" "newapi_anomaly_threshold{rule=\"$1\"}"; }
threshold_is() { [ "$(threshold "$1")" = "$2" ]; }
check "rules.yaml overrides the environment at start (burst limit 300)" wait_until 15 threshold_is burst 300
# big_request right after a start: the exporter read the model's baseline hours in SQL, so one absurd request fires.
newapi_sql "INSERT INTO logs (user_id, created_at, type, token_id, token_name, model_name, quota, prompt_tokens,
     completion_tokens, channel_id, \"group\", other)
     VALUES (1, $(date +%s), 2, 1, 'size-probe', 'gpt-4o', 1, 900000, 10, 1, 'default', '{}')"
big_visible() { curl -fsS "$METRICS" | grep -q 'newapi_anomaly{rule="big_request",subject_id="[0-9]*",subject_name="gpt-4o",subject_type="request"} 900010'; }
check "a big request right after the exporter's start shows as an anomaly within 5 s" wait_until 5 big_visible
reload() { curl -sS -o "$TEST_DIR/reload.json" -w '%{http_code}' -X POST "http://127.0.0.1:$EXPORTER_PORT/-/reload"; }

printf 'burst:\n  limit: 250\nip_many_users:\n  threshold: 8\n' >"$RULES"
check "POST /-/reload answers 200" test "$(reload)" = 200
check "the new burst limit is live within 3 s" wait_until 3 threshold_is burst 250
check "the new ip_many_users threshold is live" threshold_is ip_many_users 8

printf 'burst:\n  limit: 220\n  mode: adaptive\n  floor: 40\n  factor: 2.5\nip_many_users:\n  mode: adaptive\n' >"$RULES"
check "the adaptive keys (mode, floor, factor) load" test "$(reload)" = 200
check "  ... and the static limit stays in force for subjects without a baseline" wait_until 3 threshold_is burst 220
# The JSON API holds a subject to the baseline the aggregator wrote and shows it next to the score: the first injected
# burst token at baseline 50 -> limit max(40, ceil(2.5 x 50)) = 125.
observer_names
read -r burst_token burst_start burst_end <<<"$(jq -r 'select(.kind == "burst") | "\(.subject_id) \(.start) \(.end)"' \
  "$INJECTIONS" | head -1)"
logs_sql "INSERT INTO ${OBSERVER}agg_rule_baselines (rule, subject, baseline, computed_at) VALUES ('burst', '$burst_token', 50, 0)"
detail=$(curl -sS "http://127.0.0.1:$EXPORTER_PORT/api/stats/anomalies/detail?rule=burst&subject_id=$burst_token&start_ms=$((burst_start * 1000))&end_ms=$(((burst_end + 1) * 1000))")
check "the anomaly detail shows the token's baseline and its adaptive limit: $(jq -c '.finding | {score, threshold, baseline}' <<<"$detail")" \
  test "$(jq -c '.finding | [.threshold, .baseline]' <<<"$detail")" = "[125,50]"
logs_sql "DROP TABLE ${OBSERVER}agg_rule_baselines"
code=$(curl -sS -o "$TEST_DIR/list.json" -w '%{http_code}' "http://127.0.0.1:$EXPORTER_PORT/api/stats/anomalies?rule=burst&start_ms=$((burst_start * 1000))&end_ms=$(((burst_end + 1) * 1000))")
check "without agg_rule_baselines (an older aggregator) the API answers ($code) with the static limit: 170 < 220" \
  test "$code" = 200 -a "$(jq --arg t "$burst_token" '[.[] | select(.subject_id == $t)] | length' "$TEST_DIR/list.json")" = 0

printf 'burst:\n  limit: 200\n' >"$RULES"
kill -HUP "$(cat "$TEST_DIR/exporter.pid")"
check "SIGHUP reloads the file" wait_until 3 threshold_is burst 200

reloaded_ok() { metric_value "$METRICS" newapi_exporter_config_last_reload_successful; }
for bad in 'burst:\n  limit: -5\n' 'burst:\n  limit: many\n' 'allow:\n  ips: ["10.0.0.0/40"]\n' \
           'burst: [1, 2\n' 'brust:\n  limit: 10\n' 'big_request:\n  sigma: "x"\n' 'burst:\n  mode: dynamic\n' \
           'ip_many_users:\n  factor: 0\n' 'multi_user_token:\n  mode: adaptive\n'; do
  printf "$bad" >"$RULES"
  code=$(reload)
  check "a broken rules.yaml is rejected with 400 naming the problem: $(head -c 120 "$TEST_DIR/reload.json")" \
    test "$code" = 400
  check "  ... and the old rules stay (burst limit 200)" threshold_is burst 200
  check "  ... and config_last_reload_successful is 0" test "$(reloaded_ok)" = 0
done
printf 'burst:\n  limit: 180\n' >"$RULES"
check "a fixed file loads again" test "$(reload)" = 200
check "  ... config_last_reload_successful is back to 1" wait_until 3 sh -c "[ \"\$(curl -fsS $METRICS | awk '\$1 == \"newapi_exporter_config_last_reload_successful\" {print \$2}')\" = 1 ]"
check "  ... with its limit" wait_until 3 threshold_is burst 180
check "the exporter is still running" kill -0 "$(cat "$TEST_DIR/exporter.pid")"

# The rules from the aggregator's per-hour tables: after a backfill the JSON API's evaluator over them equals the
# logs path exactly, and a restarted exporter loads the rule's baseline from them.
stop_pidfile "$TEST_DIR/exporter.pid" 10
(export DB_TYPE=$(db_engine) DB_PORT DB_PASS_AGG=agg-pass; exec "$BUILD_DIR/aggregator/newapi-aggregator" --once) \
  >"$TEST_DIR/aggregator.log" 2>&1
check "the aggregator's backfill completes" test $? = 0
DB_ENGINE=$(db_engine) NEWAPI_CHECK_DB_PORT=$DB_PORT NEWAPI_CHECK_INJECTIONS=$INJECTIONS NEWAPI_CHECK_AGG=1 \
  "$BUILD_DIR/tests/risk_rules_check" --gtest_filter='*FromTheAggregatorsTables*' >"$TEST_DIR/agg-check.log" 2>&1
status=$?
grep -E "^[a-z_]+ from the tables|Failure|Expected|Which is|\[  (PASSED|SKIPPED|FAILED)" "$TEST_DIR/agg-check.log" | head -60
check "every rule from the aggregator's tables equals the logs path exactly" test "$status" = 0 -a \
  "$(grep -c '^\[       OK' "$TEST_DIR/agg-check.log")" = 2 -a "$(grep -c 'SKIPPED' "$TEST_DIR/agg-check.log")" = 0
(export DB_TYPE=$(db_engine) DB_PORT API_PORT=$EXPORTER_PORT DB_PASS_RO=ro-pass RULES_FILE=$RULES
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter-agg.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
loaded() { grep "big_request baseline loaded" "$TEST_DIR/exporter-agg.log"; }
check "a restarted exporter reads big_request's baseline from agg_request_sizes_hourly: $(wait_until 15 loaded >/dev/null; loaded | head -c 300)" \
  sh -c "grep 'big_request baseline loaded' '$TEST_DIR/exporter-agg.log' | grep -q 'agg_request_sizes_hourly' && ! grep 'big_request baseline loaded' '$TEST_DIR/exporter-agg.log' | grep -q logs"
check "  ... and the big request still shows as an anomaly" wait_until 30 big_visible
finish
