#!/usr/bin/env bash
# `newapi-exporter --check` against a simulated database (DB_ENGINE: MariaDB or PostgreSQL): the repository's grants
# pass with their connection limit; an account that can read everything fails naming the secrets; an account missing
# grants fails naming them; the old (id, created_at) index order gets the exact fix, which works when run; a
# connection failure is a clear FAIL.
# Usage: db_check_test.sh BUILD_DIR PORT
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2
make_test_dir
DB=$TEST_DIR/db
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 10; db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

simulated_database "$DB" "$DB_PORT" --history.rows=20000 --history.days=2 --users=200 --legacy-index ||
  { fail "the simulated database did not start"; finish; }
# What differs per engine: the server's name, the index fix and how to run it, accounts with too many or too few grants.
export DB_TYPE
DB_TYPE=$(db_engine)
if [ "$DB_TYPE" = postgres ]; then
  SERVER="postgresql 15"
  FIX="CREATE INDEX CONCURRENTLY idx_created_at_id_new ON logs (created_at, id); DROP INDEX CONCURRENTLY idx_created_at_id; ALTER INDEX idx_created_at_id_new RENAME TO idx_created_at_id;"
  run_fix() { echo "$FIX" | sql; }  # a script, not -c: CONCURRENTLY may not run inside one transaction
  TOO_MUCH="CREATE ROLE too_much LOGIN PASSWORD 'pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO too_much;"
  TOO_LITTLE="CREATE ROLE too_little LOGIN PASSWORD 'pw'; GRANT SELECT (id, created_at) ON logs TO too_little;"
else
  SERVER="mariadb 10"
  FIX="ALTER TABLE logs DROP INDEX idx_created_at_id, ADD INDEX idx_created_at_id (created_at, id);"
  run_fix() { sql "USE \`new-api\`; $FIX"; }
  TOO_MUCH="CREATE USER 'too_much'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON \`new-api\`.* TO 'too_much'@'%';"
  TOO_LITTLE="CREATE USER 'too_little'@'%' IDENTIFIED BY 'pw'; GRANT SELECT (id, created_at) ON \`new-api\`.logs TO 'too_little'@'%';"
fi

run_check() {  # USER PASSWORD -> output in $TEST_DIR/check.out, exit code in $code
  DB_PORT=$DB_PORT DB_USER_RO=$1 DB_PASS_RO=$2 "$BUILD_DIR/exporter/newapi-exporter" --check >"$TEST_DIR/check.out" 2>&1
  code=$?
  sed 's/^/    /' "$TEST_DIR/check.out"
}
has() { grep -q -- "$1" "$TEST_DIR/check.out"; }

(DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGG_ONCE=true exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1
check "the aggregator created its tables" test "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'agg_usage_hourly'")" = 1

run_check newapi_ro ro-pass
check "the repository's grants pass (exit $code)" test "$code" = 0
check "  ... and report the server" has "ok    server    $SERVER"
check "  ... and no secret is readable, options' included" has "logs.content and the options' secrets are not readable"
check "  ... and the account's connection limit fits the exporter's twice" \
  has "ok    limits    this account may open 10 connections; the exporter opens 5 (API_DB_CONNECTIONS 2 + 2"
check "  ... and the old index order gets the exact fix" has "it builds an index): $FIX\$"
check "  ... and the IP logging share" has "log their IP (record_ip_log)"

sql "$TOO_MUCH"
run_check too_much pw
check "an account that reads everything fails (exit $code)" test "$code" = 1
check "  ... naming tokens.key" has "FAIL  secrets   this account can read tokens.key"
check "  ... and logs.content" has "this account can read logs.content"
check "  ... and new-api's option secrets" has "FAIL  secrets   this account can read options.value (SMTPToken"
check "  ... and warning that it has no connection limit" has "WARN  limits    this account has no connection limit"

sql "$TOO_LITTLE"
run_check too_little pw
check "an account missing grants fails (exit $code)" test "$code" = 1
check "  ... naming what it cannot read" has "FAIL  grants    cannot read new-api.users"

(DB_PORT=$DB_PORT DB_PASS_RO=ro-pass API_PORT=0 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
warned() { grep -qF "\"fix\":\"$FIX\"" "$TEST_DIR/exporter.log"; }
check "the exporter warns at start about the old index order, with the fix" wait_until 10 warned
stop_pidfile "$TEST_DIR/exporter.pid" 10

check "the fix runs" run_fix
run_check newapi_ro ro-pass
check "after the fix the index is reported fine" has "ok    indexes   logs has an index on (created_at, id)"

# Connection budget: the account's limit against what the exporter opens with these settings.
API_DB_CONNECTIONS=8 run_check newapi_ro ro-pass
check "a pool larger than the account's limit fails (exit $code)" test "$code" = 1
check "  ... with the fix" has "FAIL  limits    this account may open 10 connections but the exporter opens 11 .*Fix: ALTER"
API_DB_CONNECTIONS=4 run_check newapi_ro ro-pass
check "a limit without room for reconnects warns" has "WARN  limits    this account may open 10 connections and the exporter opens 7"

# A hand-made observer_options that shows more than the exporter needs fails.
newapi_sql "INSERT INTO options (\"key\", value) VALUES ('SMTPToken', 'smtp-secret-value')"
if [ "$DB_TYPE" = postgres ]; then
  sql "CREATE OR REPLACE VIEW public.observer_options WITH (security_barrier) AS SELECT \"key\", value FROM public.options"
else
  sql "CREATE OR REPLACE SQL SECURITY DEFINER VIEW \`new-api\`.observer_options AS SELECT \`key\`, \`value\` FROM \`new-api\`.options"
fi
run_check newapi_ro ro-pass
check "an observer_options view showing every option fails (exit $code)" test "$code" = 1
check "  ... naming a secret key it shows" has "FAIL  secrets   observer_options shows option SMTPToken"

run_check newapi_ro wrong-password
check "a wrong password is a clear FAIL (exit $code)" bash -c "[ $code = 1 ] && grep -q 'FAIL  connect' '$TEST_DIR/check.out'"
finish
