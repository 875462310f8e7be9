#!/usr/bin/env bash
# 3,000 random and hostile Alertmanager payloads (random texts and links, wrong JSON types, nesting up to 200,000 deep,
# truncated JSON and random bytes, bodies past the size limit) to every relay path of newapi-aggregator built with
# AddressSanitizer (BUILD_DIR/asan, -DOBSERVER_ASAN=ON), every platform delivering to relay_sink: no dropped connection,
# no 5xx but 502/503, no sanitizer report, RSS back under 64 MB of growth, and a clean exit afterwards.
# Usage: relay_fuzz_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+2; PORT_BASE+2 stays closed: no database)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 AGG=$2 SINK=$(($2 + 1)) NO_DB=$(($2 + 2))
REQUESTS=${RELAY_FUZZ_REQUESTS:-3000}
make_test_dir
cleanup() { for p in agg sink; do stop_pidfile "$TEST_DIR/$p.pid" 20; done; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

SINK_DINGTALK_SECRET=SECfuzz SINK_FEISHU_SECRET=fuzz-secret \
  start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/sink.jsonl" 0
SINK_URL=http://127.0.0.1:$SINK
RELAY_TOKEN=${RELAY_TOKEN:-fuzz-$(random_password)}  # what Alertmanager sends; the fuzzer sends it too
# A named target with every kind of mention (WeCom's follow a delivered message as a second, text message).
cat >"$TEST_DIR/chat-targets.yaml" <<YAML
targets:
  oncall:
    platform: wecom
    url: $SINK_URL/wecom/cgi-bin/webhook/send?key=oncall
    mention: {all: true, mobiles: ["13800000000"], user_ids: [duty], severities: [critical, warning]}
YAML
(export DB_PORT=$NO_DB DB_PASS_AGG=unused AGGREGATOR_PORT=$AGG RELAY_TOKEN ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=0:quarantine_size_mb=8
 export DINGTALK_WEBHOOK_URL="$SINK_URL/dingtalk/robot/send?access_token=fuzz" DINGTALK_SECRET=SECfuzz
 export FEISHU_WEBHOOK_URL="$SINK_URL/feishu/hook/fuzz" FEISHU_SECRET=fuzz-secret
 export WECOM_WEBHOOK_URL="$SINK_URL/wecom/cgi-bin/webhook/send?key=fuzz" ALERT_WEBHOOK_URL="$SINK_URL/webhook"
 export TIMEZONE=Asia/Shanghai RUNBOOK_BASE_URL=https://git.example/observer/blob/main
 export CHAT_TARGETS_FILE=$TEST_DIR/chat-targets.yaml
 exec "$BUILD_DIR/asan/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"
AGG_PID=$(cat "$TEST_DIR/agg.pid")
check "the AddressSanitizer aggregator starts" wait_until 30 curl -fsS -o /dev/null "http://127.0.0.1:$AGG/metrics"
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK" || { fail "the sink did not start"; finish; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGG_PID/status" 2>/dev/null || echo 0; }
before=$(rss_kb)

started=$(now_ms)
"$BUILD_DIR/tests/relay_fuzz" "$AGG" "$REQUESTS" 11 ${RELAY_TOKEN:+"$RELAY_TOKEN"} >"$TEST_DIR/fuzz.out" 2>&1
status=$?
cat "$TEST_DIR/fuzz.out"
check "$REQUESTS payloads in $(( ($(now_ms) - started) / 1000 )) s: no 5xx but 502/503, no dropped connection" test "$status" = 0
delivered=$(jq -s length "$TEST_DIR/sink.jsonl" 2>/dev/null || echo 0)
check "some payloads were well-formed enough to be delivered ($delivered posts reached the sink)" test "$delivered" -gt 0
check "no AddressSanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer' '$TEST_DIR/agg.log'"
check "the aggregator still answers" curl -fsS -o /dev/null "http://127.0.0.1:$AGG/metrics"
after=$(rss_kb)
check "RSS grew $(( (after - before) / 1024 )) MB over the run (limit 64 MB; $before -> $after kB)" \
  test "$(( after - before ))" -le $((64 * 1024))
kill -TERM "$AGG_PID"
wait_until 20 bash -c "! kill -0 $AGG_PID 2>/dev/null"
check "it shuts down cleanly without a sanitizer report" bash -c "! grep -q 'AddressSanitizer' '$TEST_DIR/agg.log'"
grep -m3 -A30 'ERROR: AddressSanitizer' "$TEST_DIR/agg.log" | head -40
finish
