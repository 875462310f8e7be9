#!/usr/bin/env bash
# The JSON API's roles on simulator data (DB_ENGINE: MariaDB or PostgreSQL), with the real exporter, aggregator (response actions, its audit
# and undo) and newapi_admin_stub in place of new-api's admin API:
#  - every endpoint (and the parameters that need more) x every role, from the tokens file (API_TOKENS_FILE), answers
#    as the README's matrix says; 403 names the role needed; no identity is 401; API_TOKEN is admin; viewers get the
#    findings without their subjects; /api/info tells each caller its name and role; the access log line names them;
#  - a trusted proxy's user and groups headers (API_TRUSTED_PROXIES, API_PROXY_GROUP_ROLES) give roles, the same
#    headers from any other address are ignored and logged;
#  - the tokens file is reloaded on change, SIGHUP and POST /-/reload; a broken file keeps the tokens before;
#  - an admin lists the actions' audit (GET /api/actions) and undoes one through the aggregator, audited as theirs.
# Usage: roles_integration_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+3)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
observer_names
BUILD_DIR=$1 DB_PORT=$2 API=$(($2 + 1)) AGG=$(($2 + 2)) STUB=$(($2 + 3))
make_test_dir
DB=$TEST_DIR/db
cleanup() {
  for p in exporter agg stub; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

NOW=$(date +%s)
HISTORY_END=$((NOW - NOW % 3600))
simulated_database "$DB" "$DB_PORT" --history.rows=30000 --history.days=2 --history.end=$HISTORY_END --users=60 \
  --history.anomaly-interval=3600 || { fail "the simulated database did not start"; finish; }
R="start_ms=$(( (HISTORY_END - 86400) * 1000 ))&end_ms=$(( HISTORY_END * 1000 ))"
read -r TOKEN_ID USER_ID <<<"$(newapi_sql "SELECT token_id, user_id FROM logs WHERE type = 2 AND token_id > 0 ORDER BY id DESC LIMIT 1" | tr '|' ' ')"

# The aggregator acts on one alert, so the audit has a row to list and undo.
ADMIN_TOKEN=admin-$(random_password)
printf '%s' "$ADMIN_TOKEN" >"$TEST_DIR/admin.token"
start_background "$TEST_DIR/stub.pid" "$TEST_DIR/stub.out" "$BUILD_DIR/tests/newapi_admin_stub" "$STUB" \
  "$TEST_DIR/calls.jsonl" "$ADMIN_TOKEN"
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$STUB" || { fail "the stub did not start"; finish; }
printf 'rules:\n  burst: {disable_user: true, dry_run: false}\n' >"$TEST_DIR/actions.yaml"
RELAY_TOKEN=relay-$(random_password)
printf '%s\n' "$RELAY_TOKEN" >"$TEST_DIR/relay.token"
(export DB_TYPE=$(db_engine) DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG RELAY_TOKEN=$RELAY_TOKEN \
   ACTIONS_FILE=$TEST_DIR/actions.yaml NEWAPI_ADMIN_URL=http://127.0.0.1:$STUB NEWAPI_ADMIN_TOKEN_FILE=$TEST_DIR/admin.token \
   NEWAPI_ADMIN_USER_ID=1
 exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"
wait_until 15 curl -fsS -o /dev/null "http://127.0.0.1:$AGG/metrics" || { fail "the aggregator did not start"; tail -5 "$TEST_DIR/agg.log" >&2; finish; }
curl -sS -o /dev/null -H "Authorization: Bearer $RELAY_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"actions\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Risk\",\"rule\":\"burst\",\"subject_type\":\"token\",\"subject_id\":\"$TOKEN_ID\"},\"annotations\":{\"summary\":\"hit\"},\"startsAt\":\"2026-12-03T10:00:00Z\"}]}" \
  "http://127.0.0.1:$AGG/actions"
AUDIT_ID=$(newapi_sql "SELECT id FROM ${OBSERVER}observer_action_audit WHERE action = 'disable_user' AND result = 'done'")
check "the aggregator disabled user $USER_ID (audit row ${AUDIT_ID:-none})" test -n "$AUDIT_ID"

# The tokens file: one token per role.
for role in viewer analyst admin; do printf -v "T_$role" '%s' "$role-$(random_password)"; done
entry() { printf '  - {name: %s, role: %s, sha256: %s}\n' "$1" "$2" "$(printf %s "$3" | sha256sum | cut -d' ' -f1)"; }
{ echo "tokens:"; entry vera viewer "$T_viewer"; entry alice analyst "$T_analyst"; entry adam admin "$T_admin"; } >"$TEST_DIR/tokens.yaml"
API_TOKEN=legacy-$(random_password)
(export DB_TYPE=$(db_engine) DB_PORT API_PORT=$API DB_PASS_RO=ro-pass API_AUTH=token API_TOKEN=$API_TOKEN \
   API_TOKENS_FILE=$TEST_DIR/tokens.yaml API_TRUSTED_PROXIES=127.0.0.2 API_PROXY_GROUP_ROLES='ops=admin,data=analyst,*=viewer' \
   AGGREGATOR_URL=http://127.0.0.1:$AGG RELAY_TOKEN_FILE=$TEST_DIR/relay.token REDIS_URL= LOG_LEVEL=debug
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
wait_until 15 curl -fsS -o /dev/null "http://127.0.0.1:$API/api/health" || { fail "the exporter did not start"; tail -5 "$TEST_DIR/exporter.log" >&2; finish; }

# code TOKEN METHOD PATH: the status of one request with that bearer token ("" = none); the body in body.json.
code() {
  local auth=(); [ -z "$1" ] || auth=(-H "Authorization: Bearer $1")
  local post=(); [ "$2" = GET ] || post=(-X POST -H 'Content-Type: application/json' --data '')
  curl -sS -o "$TEST_DIR/body.json" -w '%{http_code}' "${auth[@]}" "${post[@]}" "http://127.0.0.1:$API$3"
}
DETAIL=$(curl -sS -H "Authorization: Bearer $T_analyst" "http://127.0.0.1:$API/api/stats/anomalies?$R&rule=burst" | jq -r '.[0].subject_id // empty')
check "the history has a burst finding to open (${DETAIL:-none})" test -n "$DETAIL"
IP=$(newapi_sql "SELECT ip FROM logs WHERE ip <> '' AND type = 2 ORDER BY id DESC LIMIT 1")
# (Injected bursts are placed after the history's first day.)
# The matrix: method, path, then the status for viewer, analyst, admin (README "Roles").
while read -r method path viewer analyst admin; do
  [ -n "$method" ] || continue
  for role in viewer analyst admin; do
    token_var=T_$role expected_var=$role
    got=$(code "${!token_var}" "$method" "$path")
    check "$role: $method $path -> ${!expected_var} (got $got)" test "$got" = "${!expected_var}"
    if [ "$got" = 403 ]; then
      check "  ... the 403 names the role needed" \
        test "$(jq -r '[.required_role, .role, .code] | join(" ")' "$TEST_DIR/body.json")" = "$(
          case $viewer$analyst in 403403) echo admin;; *) echo analyst;; esac) $role 403"
    fi
  done
  check "no identity: $method $path -> 401" test "$(code "" "$method" "$path")" = 401
done <<EOF
GET  /api/info                                                   200 200 200
GET  /api/stats/series?$R&slot_sec=3600                          200 200 200
GET  /api/stats/series?$R&slot_sec=3600&model=gpt-4o             200 200 200
GET  /api/stats/series?$R&slot_sec=3600&user=$USER_ID            403 200 200
GET  /api/stats/series?$R&slot_sec=3600&token=$TOKEN_ID          403 200 200
GET  /api/stats/top?$R&by=model                                  200 200 200
GET  /api/stats/top?$R&by=channel                                200 200 200
GET  /api/stats/top?$R                                           403 200 200
GET  /api/stats/top?$R&by=user                                   403 200 200
GET  /api/stats/top?$R&by=token                                  403 200 200
GET  /api/stats/top?$R&by=model&user=$USER_ID                    403 200 200
GET  /api/stats/heatmap?$R                                       200 200 200
GET  /api/stats/heatmap?$R&token=$TOKEN_ID                       403 200 200
GET  /api/stats/active?$R                                        200 200 200
GET  /api/stats/active?$R&user=$USER_ID                          403 200 200
GET  /api/stats/anomalies?$R&rule=burst                          200 200 200
GET  /api/stats/anomalies/detail?$R&rule=burst&subject_id=$DETAIL 403 200 200
GET  /api/logs?$R&user_id=$USER_ID                               403 200 200
GET  /api/logs?$R&ip=$IP                                         403 200 200
GET  /api/export/csv?query=top&$R&by=model                       403 200 200
GET  /api/export/csv?query=series&$R                             403 200 200
GET  /api/actions                                                403 403 200
POST /api/actions/999999/undo                                    403 403 404
POST /-/reload                                                   403 403 200
EOF

has_subjects() { curl -sS -H "Authorization: Bearer $1" "http://127.0.0.1:$API/api/stats/anomalies?$R&rule=burst" | jq '[.[] | has("subject_id") or has("subject_name")] | any'; }
findings() { curl -sS -H "Authorization: Bearer $1" "http://127.0.0.1:$API/api/stats/anomalies?$R&rule=burst" | jq length; }
check "a viewer gets the burst findings ($(findings "$T_viewer")) without subjects; an analyst with them" \
  test "$(has_subjects "$T_viewer")/$(has_subjects "$T_analyst")/$(findings "$T_viewer")" = "false/true/$(findings "$T_analyst")"
info() { curl -sS "$@" "http://127.0.0.1:$API/api/info" | jq -r '.identity | "\(.name) \(.role)"'; }
check "/api/info names the caller: vera viewer" test "$(info -H "Authorization: Bearer $T_viewer")" = "vera viewer"
check "/api/info: API_TOKEN is admin" test "$(info -H "Authorization: Bearer $API_TOKEN")" = "api-token admin"
check "the access log line names who made each request and their role" \
  grep -q '"msg":"http request".*"identity":"alice".*"path":"/api/logs".*"role":"analyst"' "$TEST_DIR/exporter.log"

# The proxy: trusted from 127.0.0.2 only.
check "a trusted proxy's user in group data is an analyst" \
  test "$(info --interface 127.0.0.2 -H 'X-Forwarded-User: pat' -H 'X-Forwarded-Groups: marketing,data')" = "pat analyst"
check "... in ops an admin" \
  test "$(info --interface 127.0.0.2 -H 'X-Forwarded-User: olga' -H 'X-Forwarded-Groups: ops')" = "olga admin"
check "... in no mapped group a viewer (*=viewer)" \
  test "$(info --interface 127.0.0.2 -H 'X-Forwarded-User: nick' -H 'X-Forwarded-Groups: sales')" = "nick viewer"
spoof=(-H 'X-Forwarded-User: mallory' -H 'X-Forwarded-Groups: ops')
check "the same headers from 127.0.0.1 (not a trusted proxy): 401" \
  test "$(curl -sS -o /dev/null -w '%{http_code}' "${spoof[@]}" "http://127.0.0.1:$API/api/actions")" = 401
check "... with a viewer's token: still the viewer (403 on /api/actions)" \
  test "$(curl -sS -o /dev/null -w '%{http_code}' "${spoof[@]}" -H "Authorization: Bearer $T_viewer" "http://127.0.0.1:$API/api/actions")" = 403
check "... and logged" grep -q '"msg":"API: identity headers from an address that is not a trusted proxy ignored".*"remote":"127.0.0.1"' "$TEST_DIR/exporter.log"

# The actions: listed and undone by an admin, audited as theirs.
check "GET /api/actions lists the audit row $AUDIT_ID" \
  test "$(curl -sS -H "Authorization: Bearer $T_admin" "http://127.0.0.1:$API/api/actions" | jq -r ".[] | select(.id == $AUDIT_ID) | .action")" = disable_user
check "an undo without Content-Type: application/json (what a form sends) is 415" \
  test "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $T_admin" --data 'x=1' "http://127.0.0.1:$API/api/actions/$AUDIT_ID/undo")" = 415
check "an analyst cannot undo: 403" test "$(code "$T_analyst" POST "/api/actions/$AUDIT_ID/undo")" = 403
check "adam (admin) undoes action $AUDIT_ID: 200" test "$(code "$T_admin" POST "/api/actions/$AUDIT_ID/undo")" = 200
check "... new-api re-enabled user $USER_ID" test "$(tail -1 "$TEST_DIR/calls.jsonl" | jq -c .body)" = "{\"action\":\"enable\",\"id\":$USER_ID}"
check "... the audit says adam undid it" \
  test "$(newapi_sql "SELECT actor FROM ${OBSERVER}observer_action_audit WHERE undo_of = $AUDIT_ID")" = "undo:adam"

# The tokens file: a change is picked up, a broken file keeps the tokens loaded before.
NEW_TOKEN=new-$(random_password)
entry nora analyst "$NEW_TOKEN" >>"$TEST_DIR/tokens.yaml"
check "a token added to the file works within seconds" wait_until 5 bash -c \
  "[ \"\$(curl -sS -H 'Authorization: Bearer $NEW_TOKEN' http://127.0.0.1:$API/api/info | jq -r .identity.name)\" = nora ]"
cp "$TEST_DIR/tokens.yaml" "$TEST_DIR/tokens.good"
{ echo "tokens:"; entry vera superuser "$T_viewer"; } >"$TEST_DIR/tokens.yaml"
check "POST /-/reload of a broken tokens file: 400 naming it" \
  bash -c "[ \"\$(curl -sS -o '$TEST_DIR/reload.json' -w '%{http_code}' -X POST -H 'Authorization: Bearer $T_admin' http://127.0.0.1:$API/-/reload)\" = 400 ] && grep -q 'tokens\\[0\\].role' '$TEST_DIR/reload.json'"
check "... the tokens loaded before still work" test "$(code "$NEW_TOKEN" GET /api/info)" = 200
check "... and the rejection is logged" grep -q '"msg":"API tokens file rejected; the tokens loaded before stay"' "$TEST_DIR/exporter.log"
{ echo "tokens:"; entry vera admin "$T_viewer"; } >"$TEST_DIR/tokens.yaml"
loads() { grep -c '"msg":"API tokens file loaded"' "$TEST_DIR/exporter.log"; }
before=$(loads)
kill -HUP "$(cat "$TEST_DIR/exporter.pid")"
# No request in between: the load is SIGHUP's.
check "SIGHUP loads the fixed file" wait_until 5 bash -c "[ \$(grep -c '\"msg\":\"API tokens file loaded\"' '$TEST_DIR/exporter.log') -gt $before ]"
check "... vera is now admin" test "$(info -H "Authorization: Bearer $T_viewer")" = "vera admin"
check "... and alice's token, gone from the file, is 401" test "$(code "$T_analyst" GET /api/info)" = 401
check "API_TOKEN still works as admin" test "$(code "$API_TOKEN" GET /api/actions)" = 200
newapi_sql "REVOKE SELECT ON ${OBSERVER}observer_action_audit FROM $RO_ACCOUNT"
check "without SELECT on the audit: 503 naming the grants" \
  bash -c "[ \"\$(curl -sS -o '$TEST_DIR/body.json' -w '%{http_code}' -H 'Authorization: Bearer $API_TOKEN' http://127.0.0.1:$API/api/actions)\" = 503 ] && grep -q grants-logs.sql '$TEST_DIR/body.json'"
[ "$failures" -eq 0 ] || tail -20 "$TEST_DIR/exporter.log" >&2
finish
