#!/usr/bin/env bash
# `newapi-exporter --check` against a simulated database: the repository's grants pass; an account that can read
# everything fails naming the secrets; an account missing grants fails naming them; the old (id, created_at) index
# order gets the exact ALTER; a connection failure is a clear FAIL.
# Usage: db_check_test.sh BUILD_DIR PORT
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2
make_test_dir
DB=$TEST_DIR/db
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 10; mariadb_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

simulated_database "$DB" "$DB_PORT" --history.rows=20000 --history.days=2 --users=200 --legacy-index ||
  { fail "the simulated database did not start"; finish; }
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
check "  ... and report the server" has "ok    server    mariadb 10"
check "  ... and no secret is readable" has "logs.content are not readable"
check "  ... and the old index order gets the exact ALTER" \
  has "ALTER TABLE logs DROP INDEX idx_created_at_id, ADD INDEX idx_created_at_id (created_at, id);"
check "  ... and the IP logging share" has "log their IP (record_ip_log)"

sql "CREATE USER 'too_much'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON \`new-api\`.* TO 'too_much'@'%';"
run_check too_much pw
check "an account that reads everything fails (exit $code)" test "$code" = 1
check "  ... naming tokens.key" has "FAIL  secrets   this account can read tokens.key"
check "  ... and logs.content" has "this account can read logs.content"

sql "CREATE USER 'too_little'@'%' IDENTIFIED BY 'pw'; GRANT SELECT (id, created_at) ON \`new-api\`.logs TO 'too_little'@'%';"
run_check too_little pw
check "an account missing grants fails (exit $code)" test "$code" = 1
check "  ... naming what it cannot read" has "FAIL  grants    cannot read new-api.users"

(DB_PORT=$DB_PORT DB_PASS_RO=ro-pass API_PORT=0 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
warned() { grep -q '"fix":"ALTER TABLE logs DROP INDEX idx_created_at_id, ADD INDEX idx_created_at_id (created_at, id);"' "$TEST_DIR/exporter.log"; }
check "the exporter warns at start about the old index order, with the fix" wait_until 10 warned
stop_pidfile "$TEST_DIR/exporter.pid" 10

sql "ALTER TABLE \`new-api\`.logs DROP INDEX idx_created_at_id, ADD INDEX idx_created_at_id (created_at, id)"
run_check newapi_ro ro-pass
check "after the ALTER the index is reported fine" has "ok    indexes   logs has an index on (created_at, id)"

run_check newapi_ro wrong-password
check "a wrong password is a clear FAIL (exit $code)" bash -c "[ $code = 1 ] && grep -q 'FAIL  connect' '$TEST_DIR/check.out'"
finish
