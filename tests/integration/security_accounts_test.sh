#!/usr/bin/env bash
# Hostile readers of the database (issue 15, findings 6, 7 and the grants part of 11), on DB_ENGINE's server (MariaDB
# or PostgreSQL) set up with the repository's schema/grants*.sql through schema/fill-grants.sh:
#  - passwords with / & ' \ and $ work (they broke the old sed splice);
#  - the exporter's account reads QuotaPerUnit and exactly the display keys through observer_options but no other option
#    and no secret of new-api's options (not even through an error message), and --check says so; the exporter's gauges
#    show the values read through the view (QuotaPerUnit, the display currency and its rate);
#  - Grafana's own account reads the table its SQL dashboards use and nothing else: no options, logs, users or the
#    per-user rollup;
#  - every account has a connection limit twice what its program opens;
#  - the exporter's account reads the response actions' audit (GET /api/actions) and cannot write it.
# Usage: security_accounts_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+1)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 API=$(($2 + 1))
ENGINE=$(db_engine) || exit 1
make_test_dir
DB=$TEST_DIR/db
cleanup() { stop_pidfile "$TEST_DIR/exporter.pid" 10; db_stop "$DB"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"; }
trap cleanup EXIT

# Passwords with every character the old `sed s/@RO_PASSWORD@/$password/` splice broke on.
RO_PW="ro/pa&ss'wo\\rd\$1" AGG_PW="agg/&'\\pw" GRAFANA_PASSWORD="gr/af&an'a\\pw"
export GRAFANA_PASSWORD
db_start "$DB" "$DB_PORT" || { fail "the database did not start"; finish; }
if [ "$ENGINE" = postgres ]; then
  PGDATABASE=postgres db_sql "$DB" 'CREATE DATABASE "new-api"'
  db_sql "$DB" <"$REPO_ROOT/schema/newapi-schema.postgres.sql" >/dev/null
else
  db_sql "$DB" 'CREATE DATABASE `new-api`'
  mariadb --no-defaults --socket="$DB/mariadb.sock" -uroot new-api <"$REPO_ROOT/schema/newapi-schema.sql"
fi
SIM_DB_DIR=$DB  # for newapi_sql
newapi_sql "INSERT INTO options (\"key\", value) VALUES ('QuotaPerUnit', '250000'), ('SMTPToken', 'smtp-s3cret'),
            ('GitHubClientSecret', 'gh-s3cret'), ('EpayKey', 'epay-s3cret'), ('general_setting.quota_display_type', 'CNY'),
            ('USDExchangeRate', '7.1'), ('general_setting.custom_currency_symbol', 'E'), ('DisplayInCurrencyEnabled', 'true'),
            ('general_setting.custom_currency_exchange_rate', '0.9'), ('Price', '7.2'), ('general_setting.docs_link', 'x')"
check "the grants apply with passwords holding / & ' \\ and \$" create_observer_users "$DB" "$RO_PW" "$AGG_PW"

# as USER PASSWORD SQL: runs SQL as that account over TCP in new-api's database; prints rows, or the error.
as() {
  if [ "$ENGINE" = postgres ]; then
    PGPASSWORD=$2 psql -X -q --no-align --tuples-only -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DB_PORT" -U "$1" -d new-api \
      -c "$3" 2>&1
  else
    mariadb --no-defaults -h127.0.0.1 -P"$DB_PORT" -u"$1" -p"$2" --batch --skip-column-names \
      -e "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'); $3" new-api 2>&1
  fi
}
denied() { local out; out=$(as "$@") && return 1; grep -qiE "denied|permission" <<<"$out" && ! grep -q "s3cret" <<<"$out"; }
denied_login() { ! as "$@" "SELECT 1" >/dev/null 2>&1; }
shows_no_secret() { ! as "$@" | grep -q "s3cret"; }
reads_as_ro() { as newapi_ro "$RO_PW" "$1" | grep -qx '[0-9]*'; }

# Finding 6: the exporter's account.
check "newapi_ro logs in with its escaped password" test "$(as newapi_ro "$RO_PW" "SELECT 1")" = 1
check "newapi_ro cannot read options.value" denied newapi_ro "$RO_PW" "SELECT value FROM options"
check "newapi_ro cannot read options at all" denied newapi_ro "$RO_PW" "SELECT \"key\" FROM options"
shown=$(as newapi_ro "$RO_PW" "SELECT \"key\", value FROM observer_options" | tr '\t|' '  ' | LC_ALL=C sort | tr '\n' ';')
check "newapi_ro reads QuotaPerUnit and the display keys through observer_options, no other option ($shown)" \
  test "$shown" = "DisplayInCurrencyEnabled true;QuotaPerUnit 250000;USDExchangeRate 7.1;general_setting.custom_currency_exchange_rate 0.9;general_setting.custom_currency_symbol E;general_setting.quota_display_type CNY;"
# A condition of the reader's that fails on a secret's value must not run before the view's filter (PostgreSQL would
# quote the value in its error; MariaDB turns a bad cast into a warning).
check "no error or row leaks a secret through the view's conditions" \
  shows_no_secret newapi_ro "$RO_PW" "SELECT \"key\" FROM observer_options WHERE CAST(value AS $( [ "$ENGINE" = postgres ] && echo integer || echo signed)) > 0"
check "newapi_ro cannot change the view" denied newapi_ro "$RO_PW" \
  "CREATE OR REPLACE VIEW observer_options AS SELECT \"key\", value FROM options"
# The response actions' audit: the API's admins list it (GET /api/actions); only the aggregator writes it.
AUDIT=observer_action_audit; [ "$ENGINE" = postgres ] && AUDIT=observer.observer_action_audit
check "newapi_ro reads $AUDIT" reads_as_ro "SELECT COUNT(*) FROM $AUDIT"
check "newapi_ro cannot write $AUDIT" denied newapi_ro "$RO_PW" "DELETE FROM $AUDIT"
DB_PORT=$DB_PORT DB_TYPE=$ENGINE DB_PASS_RO=$RO_PW "$BUILD_DIR/exporter/newapi-exporter" --check >"$TEST_DIR/check.out" 2>&1
check "--check reports the options' secrets unreadable" grep -q "ok    secrets   .*the options' secrets are not readable" "$TEST_DIR/check.out"
(export DB_PORT=$DB_PORT DB_TYPE=$ENGINE DB_PASS_RO=$RO_PW API_PORT=$API REDIS_URL= ENTITY_REFRESH_SECONDS=1
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
qpu() { [ "$(metric_value "http://127.0.0.1:$API/metrics" newapi_quota_per_unit)" = 250000 ]; }
check "the exporter's newapi_quota_per_unit is the value read through the view" wait_until 20 qpu
check "the exporter's newapi_usd_exchange_rate is the USDExchangeRate read through the view (CNY display)" \
  test "$(metric_value "http://127.0.0.1:$API/metrics" newapi_usd_exchange_rate)" = 7.1
check "the exporter's newapi_display_currency_info names CNY and ¥" \
  test "$(metric_value "http://127.0.0.1:$API/metrics" 'newapi_display_currency_info{currency="CNY",symbol="¥"}')" = 1

# Finding 6: Grafana's account (grafana/provisioning/datasources/*.yml).
GRAFANA=(newapi_grafana "$GRAFANA_PASSWORD")
reads() { as "$@" >/dev/null; }
check "newapi_grafana reads the table of the SQL dashboards" reads "${GRAFANA[@]}" "SELECT COUNT(*) FROM agg_usage_hourly_by_model_channel"
NEWAPI=""; [ "$ENGINE" = postgres ] && NEWAPI=public.  # Grafana's search_path is the observer's schema only
for table in ${NEWAPI}options ${NEWAPI}observer_options ${NEWAPI}logs ${NEWAPI}users ${NEWAPI}tokens agg_usage_hourly_by_user \
             agg_usage_hourly_by_token; do
  check "newapi_grafana cannot read $table" denied "${GRAFANA[@]}" "SELECT * FROM $table"
done

# Finding 7: connection limits, twice what each program opens (exporter 5, aggregator 4, Grafana 2).
if [ "$ENGINE" = postgres ]; then
  limits=$(db_sql "$DB" "SELECT rolname || '=' || rolconnlimit FROM pg_roles WHERE rolname LIKE 'newapi\\_%' ORDER BY 1" | tr '\n' ' ')
else
  limits=$(db_sql "$DB" "SELECT CONCAT(User, '=', max_user_connections) FROM mysql.user WHERE User LIKE 'newapi\\_%' ORDER BY 1" | tr '\n' ' ')
fi
check "connection limits: $limits" test "$limits" = "newapi_agg=8 newapi_grafana=4 newapi_ro=10 "

# Issue 16: the compose deployment's accounts command. A .env from scripts/compose-setup (new random passwords), its
# accounts SQL run by an administrator: the three accounts then log in with .env's passwords, and only with them.
mkdir -p "$TEST_DIR/compose" && cd "$TEST_DIR/compose" && "$REPO_ROOT/scripts/compose-setup" env 2>/dev/null
sed -i "s/^DB_TYPE=.*/DB_TYPE=$ENGINE/" .env
env_password() { grep "^$1=" .env | cut -d= -f2; }
if [ "$ENGINE" = postgres ]; then
  applied() { "$REPO_ROOT/scripts/compose-setup" accounts | db_sql "$DB" >/dev/null; }
else
  applied() { "$REPO_ROOT/scripts/compose-setup" accounts | mariadb --no-defaults --socket="$DB/mariadb.sock" -uroot; }
fi
check "compose-setup accounts' SQL applies as it is" applied
check "newapi_ro logs in with .env's DB_PASS_RO" test "$(as newapi_ro "$(env_password DB_PASS_RO)" "SELECT 1")" = 1
check "newapi_agg logs in with .env's DB_PASS_AGG" test "$(as newapi_agg "$(env_password DB_PASS_AGG)" "SELECT 1")" = 1
check "newapi_grafana logs in with .env's GRAFANA_DB_PASSWORD" \
  reads newapi_grafana "$(env_password GRAFANA_DB_PASSWORD)" "SELECT COUNT(*) FROM agg_usage_hourly_by_model_channel"
check "the old password of newapi_ro no longer works" denied_login newapi_ro "$RO_PW"
cd "$REPO_ROOT"
finish
