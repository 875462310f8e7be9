# Helpers for the shell integration tests: assertions, metric reads and a per-test scratch directory.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/services.sh"

TEST_NAME=$(basename "$0" .sh)
# The exporters the tests start may serve /api/* without a token (an explicit choice since an empty API_TOKEN refuses
# to start); a test that sets API_TOKEN gets auth all the same.
export API_AUTH=${API_AUTH:-none}
failures=0

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok   [$TEST_NAME]: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
finish() { [ "$failures" -eq 0 ] && { echo "PASS [$TEST_NAME]"; exit 0; }; echo "$failures failure(s) in $TEST_NAME" >&2; exit 1; }

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# metric_value URL NAME_WITH_LABELS: the sample's value, or nothing when absent or the scrape failed. awk reads to the
# end: leaving early could fail curl with SIGPIPE, and under pipefail `metric_value ... || echo 0` then printed twice.
metric_value() { curl -fsS --max-time 5 "$1" 2>/dev/null | awk -v n="$2" '$1 == n && !seen { print $2; seen = 1 }'; }
# alertmanager_examples FILE: alertmanager.yml with its commented examples (between "# example-begin" and
# "# example-end") uncommented, so tests run the routing the comments show.
alertmanager_examples() { sed '/# example-begin/,/# example-end/ { /# example-/! s/^\( *\)# /\1/ }' "$1"; }

# A fresh scratch directory under the build tree, removed at exit unless KEEP_TEST_DIR is set.
make_test_dir() {
  local base=${TEST_TMP:-${TMPDIR:-/tmp}}
  mkdir -p "$base"
  TEST_DIR=$(mktemp -d "$base/$TEST_NAME.XXXXXX")
  # mktemp's mode 0700 would keep out the postgres system user that a root-run PostgreSQL under it runs as.
  chmod 755 "$TEST_DIR"
}

# simulated_database DIR PORT LOAD_FLAGS...: a private database server (DB_ENGINE: MariaDB by default, or PostgreSQL)
# with a simulated new-api database (history loaded with the flags given), the observer's tables and accounts
# (newapi_ro / ro-pass, newapi_agg / agg-pass) and a read-only account for ground-truth queries (observer_check /
# observer-check, SELECT on new-api's tables and the observer's). AGG_DB, if set, holds the observer's tables (a
# database on MariaDB, a schema on PostgreSQL; default: the logs database / observer). LOGS_DB, if set, is a database
# of the same server holding logs and the observer's tables, as new-api's LOG_SQL_DSN makes it. Defines sim()
# (newapi-sim against it, exec'd: call it in a subshell) and sql() (as root / the superuser; PostgreSQL: in database
# new-api).
simulated_database() {
  SIM_DB_DIR=$1 SIM_DB_PORT=$2; shift 2
  db_start "$SIM_DB_DIR" "$SIM_DB_PORT" || return 1
  create_simulator_user "$SIM_DB_DIR" sim-pass
  [ -z "${LOGS_DB:-}" ] || create_simulator_user "$SIM_DB_DIR" sim-pass "$LOGS_DB"
  (sim load ${LOGS_DB:+--db.logs-name="$LOGS_DB"} "$@") >"$SIM_DB_DIR/load.log" 2>&1 ||
    { tail -5 "$SIM_DB_DIR/load.log" >&2; return 1; }
  create_observer_users "$SIM_DB_DIR" ro-pass agg-pass new-api "${AGG_DB:-}" "${LOGS_DB:-}" || return 1
  create_check_user
}
sim() {
  SIM_DB_PASS=sim-pass exec "$BUILD_DIR/simulator/newapi-sim" "$@" --db.type="$(db_engine)" --db.port="$SIM_DB_PORT" \
    --db.user=newapi_sim
}
sql() { db_sql "$SIM_DB_DIR" "$@"; }
# newapi_sql SQL: runs SQL in the simulated new-api database on either engine, with unqualified table names and
# double-quoted identifiers (MariaDB: ANSI_QUOTES for this session).
newapi_sql() { sql_in new-api "$@"; }
# logs_sql SQL: the same in the database holding logs and the observer's tables (LOGS_DB, else new-api).
logs_sql() { sql_in "${LOGS_DB:-new-api}" "$@"; }
sql_in() {
  local db=$1; shift
  if [ "$(db_engine)" = postgres ]; then PGDATABASE=$db sql "$*"; return; fi
  sql "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'); USE \`$db\`; $*"
}
# logs_dsn ACCOUNT PASSWORD: the exporter's LOG_DSN_RO / the aggregator's LOG_DSN_AGG for LOGS_DB (empty without it).
logs_dsn() {
  [ -n "${LOGS_DB:-}" ] || return 0
  if [ "$(db_engine)" = postgres ]; then echo "postgresql://$1:$2@127.0.0.1:$SIM_DB_PORT/$LOGS_DB"; return; fi
  echo "$1:$2@tcp(127.0.0.1:$SIM_DB_PORT)/$LOGS_DB"
}

# create_check_user: observer_check / observer-check with SELECT on new-api's tables and on the observer's.
create_check_user() {
  if [ "$(db_engine)" = postgres ]; then
    local schema=${AGG_DB:-observer} db
    for db in new-api ${LOGS_DB:+"$LOGS_DB"}; do
      PGDATABASE=$db sql <<SQL
SELECT 'CREATE ROLE observer_check' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'observer_check') \gexec
ALTER ROLE observer_check WITH LOGIN PASSWORD 'observer-check';
GRANT CONNECT ON DATABASE "$db" TO observer_check;
CREATE SCHEMA IF NOT EXISTS "$schema";
GRANT USAGE ON SCHEMA public, "$schema" TO observer_check;
GRANT SELECT ON ALL TABLES IN SCHEMA public, "$schema" TO observer_check;
ALTER DEFAULT PRIVILEGES FOR ROLE newapi_agg IN SCHEMA "$schema" GRANT SELECT ON TABLES TO observer_check;
SQL
    done
    return
  fi
  sql "CREATE USER 'observer_check'@'%' IDENTIFIED BY 'observer-check';
       GRANT SELECT ON \`new-api\`.* TO 'observer_check'@'%';
       GRANT SELECT ON \`${LOGS_DB:-new-api}\`.* TO 'observer_check'@'%';
       GRANT SELECT ON \`${AGG_DB:-${LOGS_DB:-new-api}}\`.* TO 'observer_check'@'%';"
}

# private_stack PORT_BASE: settings for scripts/stack ($STACK) on ports PORT_BASE..PORT_BASE+5 under a fresh test
# directory, on DB_ENGINE's database, with a small history, frequent injected anomalies and 5 s scrapes; the stack is stopped at exit.
private_stack() {
  make_test_dir
  export STACK_DIR=$TEST_DIR/stack BUILD_DIR STACK_DB=$(db_engine) STACK_DB_PORT=$1 STACK_REDIS_PORT=$(($1 + 1))
  export STACK_EXPORTER_PORT=$(($1 + 2)) STACK_AGGREGATOR_PORT=$(($1 + 3))
  export STACK_PROMETHEUS_PORT=$(($1 + 4)) STACK_ALERTMANAGER_PORT=$(($1 + 5)) STACK_SCRAPE_INTERVAL=5s
  export STACK_HISTORY_ROWS=30000 STACK_HISTORY_DAYS=2 STACK_LIVE_RATE=30 STACK_ANOMALY_INTERVAL=5
  STACK=$REPO_ROOT/scripts/stack
  trap '"$STACK" down >/dev/null 2>&1; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT
}

# observer_names: for logs_sql, OBSERVER prefixes the observer's tables (MariaDB: database AGG_DB or the logs
# database; PostgreSQL: schema AGG_DB or observer) and RO_ACCOUNT names the exporter's account in GRANT and REVOKE.
observer_names() {
  if [ "$(db_engine)" = postgres ]; then
    OBSERVER="\"${AGG_DB:-observer}\"." RO_ACCOUNT=newapi_ro
  else
    OBSERVER="\"${AGG_DB:-${LOGS_DB:-new-api}}\"." RO_ACCOUNT="'newapi_ro'@'%'"
  fi
}
