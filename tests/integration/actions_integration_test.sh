#!/usr/bin/env bash
# Response actions as real processes on loopback: newapi-aggregator with MariaDB (logs name each token's owner;
# observer_action_audit) and ACTIONS_FILE, against newapi_admin_stub, a stand-in for new-api's admin API that records
# every call. Alertmanager's webhooks are posted as Alertmanager does.
#  - the injected burst disables exactly its owner, once, and chat says so with the undo command (a repeated notification does nothing more), with the admin
#    access token and New-Api-User;
#  - a dry-run rule calls nothing; allow-listed users and tokens, a rule without actions and an IP are never touched;
#  - a failing API is retried with backoff (3 calls), reported as failed, and answered 200 (no re-send);
#  - the hourly cap holds; scripts/undo-action re-enables the user and is audited; a wrong bearer token is 401;
#  - every outcome is a row of observer_action_audit and counted in /metrics (as aggregator/metrics.md says), and
#    the access token is in no log line.
# Then block_token, with a real Redis (a password, as compose's) and a blocklist file, the aggregator restarted:
#  - without the opt-in grant (schema/grants-block-token.sql) it fails once, clearly, audited, not retried;
#  - granted, the injected burst among decoys puts exactly its key's hash (sha256 of "sk-" + key) in the set and the
#    file, once; a dry run writes nothing; allow-listed and decoy tokens never; no key in any log, chat or audit text;
#  - a standby aggregator (no writer lock) answers 503 to /actions and the undo and changes nothing;
#  - scripts/undo-action removes the hash from both.
# Usage: actions_integration_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+5)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 AGG=$(($2 + 1)) STUB=$(($2 + 2)) SINK=$(($2 + 3)) REDIS=$(($2 + 4)) STANDBY=$(($2 + 5))
make_test_dir
cleanup() {
  for p in agg standby stub sink; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  [ -d "$TEST_DIR/redis" ] && redis_stop "$TEST_DIR/redis"
  mariadb_stop "$TEST_DIR/db"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

mariadb_start "$TEST_DIR/db" "$DB_PORT" || { fail "MariaDB did not start"; finish; }
mariadb_sql "$TEST_DIR/db" "CREATE DATABASE \`new-api\`"
mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot new-api <"$REPO_ROOT/schema/newapi-schema.sql"
create_observer_users "$TEST_DIR/db" ro-pass agg-pass
db() { mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot -N -B new-api -e "$1"; }
# Token -> owner, as new-api's logs say: 101 -> 7 (the injected burst), 102 -> 8, 103 -> 9 (allow-listed user),
# 104 -> 10 (allow-listed token), 105 -> 11, 106 -> 12, 107 -> 13.
NOW=$(date +%s)
for pair in 101:7 102:8 103:9 104:10 105:11 106:12 107:13; do
  db "INSERT INTO logs (user_id, created_at, type, token_id, model_name, quota) VALUES (${pair#*:}, $NOW, 2, ${pair%:*}, 'gpt-4o', 1)"
done

ADMIN_TOKEN=admin-$(random_password)
printf '%s' "$ADMIN_TOKEN" >"$TEST_DIR/admin.token"
start_background "$TEST_DIR/stub.pid" "$TEST_DIR/stub.out" "$BUILD_DIR/tests/newapi_admin_stub" "$STUB" \
  "$TEST_DIR/calls.jsonl" "$ADMIN_TOKEN"
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$STUB" || { fail "the stub did not start"; finish; }
# The chat: the relay's generic webhook to relay_sink.
start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/chat.jsonl" 0
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SINK" || { fail "the sink did not start"; finish; }
cat >"$TEST_DIR/actions.yaml" <<'YAML'
rules:
  burst: {disable_user: true, dry_run: false}
  multi_user_token: {disable_user: true}
  ip_many_users: {disable_user: true, dry_run: false}
allow:
  users: [9]
  tokens: [104]
YAML
RELAY_TOKEN=relay-$(random_password)
(export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG LOG_LEVEL=debug RELAY_TOKEN=$RELAY_TOKEN \
   ACTIONS_FILE=$TEST_DIR/actions.yaml ACTIONS_MAX_PER_HOUR=4 NEWAPI_ADMIN_URL=http://127.0.0.1:$STUB \
   NEWAPI_ADMIN_TOKEN_FILE=$TEST_DIR/admin.token NEWAPI_ADMIN_USER_ID=1 ALERT_WEBHOOK_URL=http://127.0.0.1:$SINK/webhook
 exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"
wait_until 15 curl -fsS "http://127.0.0.1:$AGG/metrics" || { fail "the aggregator did not start"; tail -5 "$TEST_DIR/agg.log" >&2; finish; }
wait_until 30 bash -c "[ \"\$(mariadb --no-defaults --socket='$TEST_DIR/db/mariadb.sock' -uroot -N -B new-api -e \
  \"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'observer_action_audit'\")\" = 1 ]" ||
  { fail "the aggregator did not create observer_action_audit"; finish; }

# alert RULE SUBJECT_TYPE SUBJECT_ID: one firing alert of an Alertmanager webhook.
alert() {
  printf '{"status":"firing","labels":{"alertname":"Risk","rule":"%s","subject_type":"%s","subject_id":"%s"},"annotations":{"summary":"hit of %s"},"startsAt":"2026-12-03T10:00:00Z"}' \
    "$1" "$2" "$3" "$1"
}
# post ALERT...: POSTs the alerts to /actions as Alertmanager does; prints the HTTP status.
post() {
  local alerts; alerts=$(IFS=,; echo "$*")
  curl -sS -o "$TEST_DIR/answer.json" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $RELAY_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"actions\",\"alerts\":[$alerts]}" \
    "http://127.0.0.1:$AGG/actions"
}
calls() { [ -f "$TEST_DIR/calls.jsonl" ] && wc -l <"$TEST_DIR/calls.jsonl" || echo 0; }
call() { sed -n "${1}p" "$TEST_DIR/calls.jsonl"; }
audit() { db "SELECT $1 FROM observer_action_audit WHERE $2 ORDER BY id" | tr '\n' ' ' | sed 's/ $//'; }

check "the injected burst among decoys answers 200" test "$(post "$(alert burst token 101)" "$(alert burst token 103)" \
  "$(alert burst token 104)" "$(alert big_request token 102)" "$(alert ip_many_users ip 10.0.0.1)")" = 200
check "exactly one call: disable user 7, with the access token and New-Api-User ($(call 1))" \
  test "$(calls)" = 1 -a "$(call 1 | jq -c '[.body, .authorized, .new_api_user]')" = '[{"action":"disable","id":7},true,"1"]'
check "allow-listed user 9 and token 104 are audited as such" \
  test "$(audit "subject_id, result" "result = 'allow_listed'")" = "$(printf '103\tallow_listed 104\tallow_listed')"
check "the chat message says what was done and how to undo it" \
  bash -c "[[ \"\$(cat '$TEST_DIR/chat.jsonl' 2>/dev/null)\" == *'disabled user 7 (owner of token 101)'*'scripts/undo-action 1'* ]]"
check "a repeated notification does nothing more" test "$(post "$(alert burst token 101)")" = 200 -a "$(calls)" = 1
check "a dry-run rule calls nothing and is audited as dry_run" \
  test "$(post "$(alert multi_user_token token 102)")" = 200 -a "$(calls)" = 1 -a "$(audit result "user_id = 8")" = dry_run

curl -fsS --data "" "http://127.0.0.1:$STUB/control/fail?n=100" >/dev/null
start=$(date +%s)
check "a failing API: answered 200 (Alertmanager must not re-send)" test "$(post "$(alert burst token 105)")" = 200
check "... after 3 calls with backoff (1 s, 2 s: $(($(date +%s) - start)) s)" \
  test "$(calls)" = 4 -a $(($(date +%s) - start)) -ge 3
check "... reported as failed in the audit" bash -c "[[ '$(audit detail "user_id = 11")' == *'HTTP 502 after 3 attempt(s)'* ]]"
check "... and in chat" grep -q 'FAILED to disable user 11' "$TEST_DIR/chat.jsonl"
check "... and in the log" grep -q '"msg":"actions: disabling the user failed"' "$TEST_DIR/agg.log"
curl -fsS --data "" "http://127.0.0.1:$STUB/control/fail?n=0" >/dev/null

check "the 4th action of the hour is done (user 12)" test "$(post "$(alert burst token 106)")" = 200 -a "$(calls)" = 5
check "the 5th is over the hourly cap: not called, audited" \
  test "$(post "$(alert burst token 107)")" = 200 -a "$(calls)" = 5 -a "$(audit result "user_id = 13")" = over_hourly_cap

ID=$(audit id "user_id = 7 AND action = 'disable_user'")
check "scripts/undo-action $ID re-enables user 7" bash -c \
  "AGGREGATOR_URL=http://127.0.0.1:$AGG RELAY_TOKEN=$RELAY_TOKEN '$REPO_ROOT/scripts/undo-action' $ID tester >/dev/null"
check "... one enable call ($(call 6))" test "$(calls)" = 6 -a "$(call 6 | jq -c .body)" = '{"action":"enable","id":7}'
check "... audited: enable_user by undo:tester, the disable marked undone" \
  test "$(audit "actor, action, result, undo_of" "undo_of = $ID")" = "$(printf 'undo:tester\tenable_user\tdone\t%s' "$ID")" \
  -a "$(audit "undone_by > 0" "id = $ID")" = 1
check "a second undo calls nothing" bash -c \
  "! AGGREGATOR_URL=http://127.0.0.1:$AGG RELAY_TOKEN=$RELAY_TOKEN '$REPO_ROOT/scripts/undo-action' 99999 >/dev/null 2>&1"
AGGREGATOR_URL=http://127.0.0.1:$AGG RELAY_TOKEN=$RELAY_TOKEN "$REPO_ROOT/scripts/undo-action" "$ID" >/dev/null 2>&1
check "... (already undone: still 6 calls)" test "$(calls)" = 6
check "a wrong bearer token is refused with 401" test "$(RELAY_TOKEN=wrong-token-0123456789 post "$(alert burst token 101)")" = 401
check "every outcome is a row of observer_action_audit" \
  test "$(db "SELECT COUNT(*) FROM observer_action_audit")" = 8
echo "the audit of this run (id, actor, action, rule, subject, user, result, undo_of, undone_by):"
db "SELECT id, actor, action, rule, CONCAT(subject_type, ' ', subject_id), user_id, result, undo_of, undone_by
    FROM observer_action_audit ORDER BY id" | sed 's/^/  /'
check "newapi_aggregator_actions_total counts the failure and the undo" test \
  "$(metric_value "http://127.0.0.1:$AGG/metrics" 'newapi_aggregator_actions_total{action="disable_user",result="failed"}')/$(metric_value "http://127.0.0.1:$AGG/metrics" 'newapi_aggregator_actions_total{action="enable_user",result="done"}')" = 1/1
check "aggregator/metrics.md matches /metrics" "$REPO_ROOT/tests/integration/check_metrics_doc.sh" \
  "http://127.0.0.1:$AGG/metrics" "$REPO_ROOT/aggregator/metrics.md"
check "the admin access token is in no log line" bash -c "! grep -qF '$ADMIN_TOKEN' '$TEST_DIR/agg.log'"
[ "$failures" -eq 0 ] || { tail -30 "$TEST_DIR/agg.log" >&2; db "SELECT * FROM observer_action_audit" >&2; }

# --- block_token: tokens with keys as new-api stores them (no sk-): 201 -> user 21 (the injected burst), 202 -> 22
# (a rule without actions), 203 -> 9 (allow-listed user), 204 -> 24 (allow-listed token), 205 -> 25 (a dry-run
# rule), 206 -> 26 (for the standby).
for pair in 201:21 202:22 203:9 204:24 205:25 206:26; do
  db "INSERT INTO tokens (id, user_id, \`key\`, status, name) VALUES (${pair%:*}, ${pair#*:}, 'key${pair%:*}$(random_password)', 1, 't${pair%:*}')"
  db "INSERT INTO logs (user_id, created_at, type, token_id, model_name, quota) VALUES (${pair#*:}, $NOW, 2, ${pair%:*}, 'gpt-4o', 1)"
done
key_of() { db "SELECT \`key\` FROM tokens WHERE id = $1"; }
hash_of() { printf 'sk-%s' "$(key_of "$1")" | sha256sum | cut -d' ' -f1; }
redis_start "$TEST_DIR/redis" "$REDIS" || { fail "Redis did not start"; finish; }
REDIS_PASS=redis-$(random_password)
redis-cli -p "$REDIS" CONFIG SET requirepass "$REDIS_PASS" >/dev/null
rcli() { REDISCLI_AUTH=$REDIS_PASS redis-cli -p "$REDIS" "$@"; }
members() { rcli SMEMBERS newapi-observer:blocked-tokens | sort | tr '\n' ' ' | sed 's/ $//'; }
listed() { [ -f "$TEST_DIR/blocked.txt" ] && tr '\n' ' ' <"$TEST_DIR/blocked.txt" | sed 's/ $//'; }
cat >"$TEST_DIR/actions.yaml" <<'YAML'
rules:
  burst: {block_token: true, dry_run: false}
  multi_user_token: {block_token: true}
allow:
  users: [9]
  tokens: [204]
YAML
# start_aggregator PIDNAME PORT: the aggregator with the blocklist (a fresh hour's cap), logging to PIDNAME.log.
start_aggregator() {
  (export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$2 LOG_LEVEL=debug RELAY_TOKEN=$RELAY_TOKEN \
     ACTIONS_FILE=$TEST_DIR/actions.yaml ACTIONS_MAX_PER_HOUR=50 NEWAPI_ADMIN_URL=http://127.0.0.1:$STUB \
     NEWAPI_ADMIN_TOKEN_FILE=$TEST_DIR/admin.token ALERT_WEBHOOK_URL=http://127.0.0.1:$SINK/webhook \
     ACTIONS_BLOCKLIST_REDIS=redis://:$REDIS_PASS@127.0.0.1:$REDIS/0 ACTIONS_BLOCKLIST_FILE=$TEST_DIR/blocked.txt
   exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/$1.log" 2>&1 &
  echo $! >"$TEST_DIR/$1.pid"
}
stop_pidfile "$TEST_DIR/agg.pid" 10
start_aggregator agg "$AGG"
wait_until 30 bash -c "[ \"\$(curl -fsS http://127.0.0.1:$AGG/metrics | awk '\$1 == \"newapi_aggregator_lock_held\" { print \$2 }')\" = 1 ]" ||
  { fail "the restarted aggregator did not take the writer lock"; tail -5 "$TEST_DIR/agg.log" >&2; finish; }
CALLS_BEFORE=$(calls)

check "without the grant: answered 200" test "$(post "$(alert burst token 201)")" = 200
check "... audited once as failed, naming the grant" \
  bash -c "[[ '$(audit "action, result, detail" "subject_id = '201'")' == \"block_token\"*failed*'grant SELECT (id, key) ON tokens to newapi_agg to use block_token'* ]]"
check "... logged once, and nothing published" \
  test "$(grep -c '"msg":"actions: blocking the token failed"' "$TEST_DIR/agg.log")/$(rcli SCARD newapi-observer:blocked-tokens)/$(listed)" = "1/0/"
check "... and chat says so" grep -q 'FAILED to block token 201 (user 21)' "$TEST_DIR/chat.jsonl"

DB_NAME=new-api "$REPO_ROOT/schema/fill-grants.sh" "$REPO_ROOT/schema/grants-block-token.sql" |
  mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot
check "granted: the injected burst among decoys answers 200" test "$(post "$(alert burst token 201)" "$(alert burst token 203)" \
  "$(alert burst token 204)" "$(alert big_request token 202)" "$(alert burst ip 10.0.0.1)")" = 200
check "... exactly its key's hash is in the Redis set" test "$(members)" = "$(hash_of 201)"
check "... and in the file" test "$(listed)" = "$(hash_of 201)"
check "... allow-listed user 9 (token 203) and token 204 are audited as such" test \
  "$(audit "subject_id, result" "action = 'block_token' AND result = 'allow_listed'")" = "$(printf '203\tallow_listed 204\tallow_listed')"
BLOCK_ID=$(audit id "action = 'block_token' AND subject_id = '201' AND result = 'done'")
check "... chat says what was done and how to undo it" \
  bash -c "[[ \"\$(cat '$TEST_DIR/chat.jsonl')\" == *'blocked token 201 (user 21) for burst'*'scripts/undo-action $BLOCK_ID'* ]]"
check "... in Chinese in the rendered text (ALERT_LANGUAGE zh, the default)" \
  bash -c "jq -r '.body | fromjson | .text' '$TEST_DIR/chat.jsonl' | grep -q '已封禁令牌 201（用户 21），规则 burst'"
check "a repeated notification adds nothing (one member, one line, one done row)" test \
  "$(post "$(alert burst token 201)")/$(members)/$(listed)/$(audit "COUNT(*)" "action = 'block_token' AND result = 'done'")" = \
  "200/$(hash_of 201)/$(hash_of 201)/1"
check "a dry run writes nothing and is audited as dry_run" test \
  "$(post "$(alert multi_user_token token 205)")/$(members)/$(audit result "subject_id = '205'")" = "200/$(hash_of 201)/dry_run"
check "block_token never called new-api's admin API" test "$(calls)" = "$CALLS_BEFORE"
leaked=""
for id in 201 202 203 204 205 206; do
  key=$(key_of $id)
  grep -qF "$key" "$TEST_DIR/agg.log" "$TEST_DIR/chat.jsonl" "$TEST_DIR/blocked.txt" && leaked="$leaked $id"
  db "SELECT detail, evidence FROM observer_action_audit" | grep -qF "$key" && leaked="$leaked $id(audit)"
done
check "no key is in the log, chat, the file or the audit${leaked:+ (leaked:$leaked)}" test -z "$leaked"
check "the Redis password is in no log line" bash -c "! grep -qF '$REDIS_PASS' '$TEST_DIR/agg.log'"

start_aggregator standby "$STANDBY"
wait_until 15 curl -fsS "http://127.0.0.1:$STANDBY/metrics" >/dev/null || { fail "the standby did not start"; finish; }
sleep 1
ROWS_BEFORE=$(db "SELECT COUNT(*) FROM observer_action_audit")
standby_post() {
  curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $RELAY_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"actions\",\"alerts\":[$(alert burst token 206)]}" \
    "http://127.0.0.1:$STANDBY/actions"
}
check "a standby (lock_held 0) answers 503 to POST /actions" test \
  "$(metric_value "http://127.0.0.1:$STANDBY/metrics" newapi_aggregator_lock_held)/$(standby_post)" = "0/503"
check "... and to the undo" bash -c "! AGGREGATOR_URL=http://127.0.0.1:$STANDBY RELAY_TOKEN=$RELAY_TOKEN \
  '$REPO_ROOT/scripts/undo-action' $BLOCK_ID tester >/dev/null 2>&1"
check "... having changed nothing (audit rows, set, file, admin calls)" test \
  "$(db "SELECT COUNT(*) FROM observer_action_audit")/$(members)/$(listed)/$(calls)" = \
  "$ROWS_BEFORE/$(hash_of 201)/$(hash_of 201)/$CALLS_BEFORE"
stop_pidfile "$TEST_DIR/standby.pid" 10

check "scripts/undo-action $BLOCK_ID unblocks token 201" bash -c \
  "AGGREGATOR_URL=http://127.0.0.1:$AGG RELAY_TOKEN=$RELAY_TOKEN '$REPO_ROOT/scripts/undo-action' $BLOCK_ID tester >/dev/null"
check "... the hash is gone from the set and the file" test "$(rcli SCARD newapi-observer:blocked-tokens)/$(listed)" = "0/"
check "... audited: unblock_token by undo:tester, the block marked undone" \
  test "$(audit "actor, action, result" "undo_of = $BLOCK_ID")/$(audit "undone_by > 0" "id = $BLOCK_ID")" = \
  "$(printf 'undo:tester\tunblock_token\tdone')/1"
check "newapi_aggregator_actions_total counts the block and the unblock" test \
  "$(metric_value "http://127.0.0.1:$AGG/metrics" 'newapi_aggregator_actions_total{action="block_token",result="done"}')/$(metric_value "http://127.0.0.1:$AGG/metrics" 'newapi_aggregator_actions_total{action="unblock_token",result="done"}')" = 1/1
[ "$failures" -eq 0 ] || { tail -30 "$TEST_DIR/agg.log" >&2; db "SELECT * FROM observer_action_audit" >&2; }
finish
