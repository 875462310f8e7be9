#!/usr/bin/env bash
# Bad configuration makes each binary exit non-zero within 1 s with a message naming the key; secrets are refused
# on the command line; --help lists the settings. Usage: config_errors_test.sh BUILD_DIR FREE_PORT
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 FREE_PORT=$2
EXPORTER=$BUILD_DIR/exporter/newapi-exporter
AGGREGATOR=$BUILD_DIR/aggregator/newapi-aggregator
make_test_dir
trap 'rm -rf "$TEST_DIR"' EXIT

# expect_config_error NAME EXPECTED_TEXT FORBIDDEN_TEXT COMMAND...: exit code 2 within 1 s, stderr names the key.
expect_config_error() {
  local name=$1 expected=$2 forbidden=$3; shift 3
  local start code elapsed
  start=$(now_ms)
  timeout 5 "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"; code=$?
  elapsed=$(( $(now_ms) - start ))
  check "$name: exit code 2 (got $code)" test "$code" = 2
  check "$name: exits within 1 s (took $elapsed ms)" test "$elapsed" -lt 1000
  check "$name: message names $expected" grep -q -- "$expected" "$TEST_DIR/err"
  if [ -n "$forbidden" ]; then check "$name: message does not echo the secret" bash -c "! grep -q -- '$forbidden' '$TEST_DIR/err'"; fi
}

expect_config_error "exporter bad port" "API_PORT" "" env API_PORT=80x "$EXPORTER"
expect_config_error "exporter port out of range" "API_PORT" "" env API_PORT=70000 "$EXPORTER"
expect_config_error "exporter bad sigma" "BIG_REQUEST_SIGMA" "" env BIG_REQUEST_SIGMA=lots "$EXPORTER"
expect_config_error "exporter bad redis url" "REDIS_URL" "" env REDIS_URL=localhost:6379 "$EXPORTER"
expect_config_error "exporter bad redis port" "REDIS_URL" "pw0rd" env REDIS_URL=redis://:pw0rd@cache:99999/0 "$EXPORTER"
expect_config_error "exporter secret flag" "DB_PASS_RO" "hunter2" "$EXPORTER" --db.password=hunter2
expect_config_error "exporter unknown flag" "--db.hots" "" "$EXPORTER" --db.hots=x
expect_config_error "exporter bad log level" "LOG_LEVEL" "" env LOG_LEVEL=loud "$EXPORTER"
expect_config_error "exporter bad allow-list CIDR" "ALLOW_IPS" "" env ALLOW_IPS=10.0.0.1,10.0.0.0/33 "$EXPORTER"
expect_config_error "exporter bad allow-list id" "risk.allow-token-ids" "" env ALLOW_TOKEN_IDS=5,abc "$EXPORTER"
expect_config_error "exporter unknown database type" "DB_TYPE" "" env DB_TYPE=oracle "$EXPORTER"
expect_config_error "exporter DSN port out of range" "DB_DSN_RO" "s3cr3t" \
  env DB_DSN_RO='postgresql://newapi_ro:s3cr3t@db:99999/new-api' "$EXPORTER"
expect_config_error "exporter DSN without a database" "DB_DSN_RO" "s3cr3t" \
  env DB_DSN_RO='newapi_ro:s3cr3t@tcp(db:3306)' "$EXPORTER"
expect_config_error "exporter SQLite DSN" "DB_DSN_RO" "" env DB_DSN_RO='local' "$EXPORTER"
# The API's identities (README "Roles"): a broken tokens file stops the start, naming the entry, never its hash.
printf 'tokens:\n  - {name: a, role: root, sha256: %s}\n' "$(printf x | sha256sum | cut -d' ' -f1)" >"$TEST_DIR/tokens.yaml"
expect_config_error "exporter broken tokens file" "tokens\[0\].role" "$(printf x | sha256sum | cut -d' ' -f1)" \
  env API_TOKENS_FILE="$TEST_DIR/tokens.yaml" DB_PORT=1 "$EXPORTER"
expect_config_error "exporter bad trusted proxy" "API_TRUSTED_PROXIES" "" \
  env API_TRUSTED_PROXIES=10.0.0.0/40 API_PROXY_GROUP_ROLES='*=viewer' "$EXPORTER"
expect_config_error "exporter trusted proxy without group roles" "API_PROXY_GROUP_ROLES" "" env API_TRUSTED_PROXIES=10.0.0.1 "$EXPORTER"
expect_config_error "exporter bad group role" "API_PROXY_GROUP_ROLES" "" \
  env API_TRUSTED_PROXIES=10.0.0.1 API_PROXY_GROUP_ROLES=ops=root "$EXPORTER"
expect_config_error "exporter aggregator URL with a path" "AGGREGATOR_URL" "" env AGGREGATOR_URL=http://agg:8081/actions "$EXPORTER"
expect_config_error "exporter DSN on the command line" "DB_DSN_RO" "s3cr3t" \
  "$EXPORTER" --db.dsn='postgresql://newapi_ro:s3cr3t@db:5432/new-api'
expect_config_error "aggregator DSN with a broken escape" "DB_DSN_AGG" "s3cr3t" \
  env DB_DSN_AGG='postgresql://newapi_agg:s3cr3t%zz@db/new-api' "$AGGREGATOR"
expect_config_error "exporter logs DSN without a database" "LOG_DSN_RO" "s3cr3t" \
  env LOG_DSN_RO='newapi_ro:s3cr3t@tcp(db:3306)' "$EXPORTER"
expect_config_error "aggregator logs DSN with a broken escape" "LOG_DSN_AGG" "s3cr3t" \
  env LOG_DSN_AGG='postgresql://newapi_agg:s3cr3t%zz@db/new-api-logs' "$AGGREGATOR"
expect_config_error "aggregator bad port" "AGGREGATOR_PORT" "" env AGGREGATOR_PORT=-1 "$AGGREGATOR"
expect_config_error "aggregator bad interval" "AGG_INTERVAL_SECONDS" "" env AGG_INTERVAL_SECONDS=never "$AGGREGATOR"
printf 'rules:\n  burst: {disable_user: true, dry_run: false}\n' >"$TEST_DIR/actions-live.yaml"
printf 'rules:\n  burst: {disable: true}\n' >"$TEST_DIR/actions-broken.yaml"
expect_config_error "aggregator actions without RELAY_TOKEN" "ACTIONS_FILE is set but RELAY_TOKEN is empty" "" \
  env ACTIONS_FILE="$TEST_DIR/actions-live.yaml" "$AGGREGATOR"
expect_config_error "aggregator admin URL without its token" "NEWAPI_ADMIN_TOKEN" "" \
  env NEWAPI_ADMIN_URL=http://new-api:3000 "$AGGREGATOR"
expect_config_error "aggregator admin token without its URL" "NEWAPI_ADMIN_URL" "adm1n-t0ken" \
  env NEWAPI_ADMIN_TOKEN=adm1n-t0ken "$AGGREGATOR"
expect_config_error "aggregator live action without the admin API" "rules.burst: dry_run: false needs NEWAPI_ADMIN_URL" "" \
  env RELAY_TOKEN=relay-token-0123456789 ACTIONS_FILE="$TEST_DIR/actions-live.yaml" "$AGGREGATOR"
expect_config_error "aggregator broken actions file" "rules.burst: unknown key 'disable'" "" \
  env RELAY_TOKEN=relay-token-0123456789 ACTIONS_FILE="$TEST_DIR/actions-broken.yaml" "$AGGREGATOR"
printf 'rules:\n  burst: {block_token: true, dry_run: false}\n' >"$TEST_DIR/actions-block.yaml"
expect_config_error "aggregator live block_token without a blocklist" \
  "rules.burst: block_token with dry_run: false needs ACTIONS_BLOCKLIST_REDIS or ACTIONS_BLOCKLIST_FILE" "" \
  env RELAY_TOKEN=relay-token-0123456789 ACTIONS_FILE="$TEST_DIR/actions-block.yaml" "$AGGREGATOR"
expect_config_error "aggregator bad blocklist Redis URL" "ACTIONS_BLOCKLIST_REDIS" "bl0ck" \
  env ACTIONS_BLOCKLIST_REDIS=redis://:bl0ck@cache:99999/0 "$AGGREGATOR"
expect_config_error "aggregator blocklist Redis on the command line" "ACTIONS_BLOCKLIST_REDIS" "bl0ck" \
  "$AGGREGATOR" --actions.blocklist-redis=redis://:bl0ck@cache:6379/0
expect_config_error "aggregator secret flag" "DB_PASS_AGG" "s3cr3t" "$AGGREGATOR" --db.password=s3cr3t
expect_config_error "aggregator relay URL without scheme" "DINGTALK_WEBHOOK_URL" "T0KEN" \
  env DINGTALK_WEBHOOK_URL='oapi.dingtalk.com/robot/send?access_token=T0KEN' "$AGGREGATOR"
expect_config_error "aggregator relay secret flag" "DINGTALK_SECRET" "s3cr3t" "$AGGREGATOR" --relay.dingtalk-secret=s3cr3t
expect_config_error "aggregator bad alert language" "ALERT_LANGUAGE" "" env ALERT_LANGUAGE=fr "$AGGREGATOR"

# Placeholder and weak secrets (issue 15, finding 10): .env.example's change-me values, bearer tokens under 16
# characters and an empty API_TOKEN without API_AUTH=none refuse to start, naming the key and never the value.
expect_config_error "exporter placeholder password" "DB_PASS_RO" "change-me-ro" env DB_PASS_RO=change-me-ro "$EXPORTER"
expect_config_error "aggregator placeholder password" "DB_PASS_AGG" "change-me-agg" env DB_PASS_AGG=change-me-agg "$AGGREGATOR"
expect_config_error "exporter placeholder password in a DSN" "DB_DSN_RO" "change-me-ro" \
  env DB_DSN_RO='postgresql://newapi_ro:change-me-ro@db:5432/new-api' "$EXPORTER"
expect_config_error "exporter placeholder password in the logs DSN" "LOG_DSN_RO" "change-me-ro" \
  env LOG_DSN_RO='postgresql://newapi_ro:change-me-ro@logs-db:5432/new-api-logs' "$EXPORTER"
expect_config_error "exporter placeholder API token" "API_TOKEN" "change-me-api-token" \
  env API_AUTH=token API_TOKEN=change-me-api-token "$EXPORTER"
expect_config_error "exporter short API token" "API_TOKEN is shorter than 16" "s3cr3t-t0ken" \
  env API_AUTH=token API_TOKEN=s3cr3t-t0ken "$EXPORTER"
expect_config_error "exporter empty API token without API_AUTH=none" "API_AUTH=none" "" env API_AUTH=token API_TOKEN= "$EXPORTER"
expect_config_error "exporter unknown API_AUTH" "API_AUTH" "" env API_AUTH=off "$EXPORTER"
expect_config_error "aggregator short relay token" "RELAY_TOKEN is shorter than 16" "s3cr3t-t0ken" \
  env RELAY_TOKEN=s3cr3t-t0ken "$AGGREGATOR"
expect_config_error "exporter short metrics token" "METRICS_TOKEN is shorter than 16" "m3tr1cs-t0ken" \
  env API_AUTH=none METRICS_TOKEN=m3tr1cs-t0ken "$EXPORTER"
expect_config_error "aggregator placeholder relay token" "RELAY_TOKEN" "change-me-relay-token" \
  env RELAY_TOKEN=change-me-relay-token "$AGGREGATOR"
expect_config_error "aggregator chat target without a relay token" "RELAY_TOKEN is empty" "T0KEN" \
  env -u RELAY_TOKEN ALERT_WEBHOOK_URL='http://127.0.0.1:9/hook?token=T0KEN' "$AGGREGATOR"

"$EXPORTER" --help >"$TEST_DIR/help" 2>&1; code=$?
check "exporter --help exits 0" test "$code" = 0
for key in DB_TYPE DB_DSN_RO DB_HOST DB_PORT DB_NAME DB_USER_RO DB_PASS_RO API_PORT REDIS_URL CACHE_TTL_SECONDS BURST_WINDOW_SEC \
           BURST_LIMIT_PER_TOKEN IP_USERS_THRESHOLD TOKEN_MULTI_USER_THRESHOLD BIG_REQUEST_SIGMA; do
  check "exporter --help lists $key" grep -q "$key" "$TEST_DIR/help"
done
"$AGGREGATOR" --help >"$TEST_DIR/help" 2>&1
for key in DB_TYPE DB_DSN_AGG DB_USER_AGG DB_PASS_AGG ALERT_WEBHOOK_URL AGGREGATOR_PORT DINGTALK_WEBHOOK_URL DINGTALK_SECRET \
           FEISHU_WEBHOOK_URL FEISHU_SECRET WECOM_WEBHOOK_URL ALERT_LANGUAGE FRONTEND_URL; do
  check "aggregator --help lists $key" grep -q "$key" "$TEST_DIR/help"
done
check "--version prints the version" bash -c "'$EXPORTER' --version | grep -q '^newapi-exporter [0-9]'"

# A port that is taken: exit 1 quickly with the address in the message.
"$EXPORTER" --web.port="$FREE_PORT" >"$TEST_DIR/first.log" 2>&1 &
first=$!
wait_until 5 curl -fsS "http://127.0.0.1:$FREE_PORT/metrics"
start=$(now_ms)
timeout 5 "$EXPORTER" --web.port="$FREE_PORT" >"$TEST_DIR/second.log" 2>&1; code=$?
check "a second exporter on a taken port exits 1 (got $code)" test "$code" = 1
check "it says which address it could not listen on" grep -q "cannot listen on 127.0.0.1:$FREE_PORT" "$TEST_DIR/second.log"
check "it exits within 1 s (took $(( $(now_ms) - start )) ms)" test $(( $(now_ms) - start )) -lt 1000
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null
finish
