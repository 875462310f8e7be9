#!/bin/sh
# The compose demo's database: fills the demo MySQL or PostgreSQL (DB_TYPE) with simulated new-api history
# (newapi-sim load), creates the observer's tables and least-privilege accounts from schema/, then appends live traffic
# with injected anomalies.
set -eu
SCHEMA=/opt/newapi-observer/schema
case ${DB_TYPE:-mysql} in postgres|postgresql) ENGINE=postgres ;; *) ENGINE=mysql ;; esac

# fill FILE AGG_DB_NAME: a grants file with its placeholders filled in, passwords escaped (the demo keeps logs in
# new-api's database).
fill() {
  LOGS_DB_NAME=$DB_NAME AGG_DB_NAME=$2 RO_PASSWORD=$DB_PASS_RO AGG_PASSWORD=$DB_PASS_AGG \
    GRAFANA_PASSWORD=$GRAFANA_DB_PASSWORD "$SCHEMA/fill-grants.sh" "$1"
}
# newapi-sim's connection, as the script's arguments.
set -- --db.type="$ENGINE" --db.host="$DB_HOST" --db.port="$DB_PORT" --db.name="$DB_NAME" --db.user=newapi_sim

if [ "$ENGINE" = postgres ]; then
  export PGHOST="$DB_HOST" PGPORT="$DB_PORT" PGUSER=postgres PGPASSWORD="$POSTGRES_PASSWORD" \
    PGOPTIONS="-c client_min_messages=warning"
  db() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
  until db -d postgres -c 'SELECT 1' >/dev/null 2>&1; do echo "waiting for PostgreSQL at $DB_HOST:$DB_PORT"; sleep 2; done
  # newapi_sim owns new-api's database, so the tables it creates in public are its own.
  db -d postgres <<SQL
SELECT 'CREATE ROLE newapi_sim LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_sim') \gexec
ALTER ROLE newapi_sim WITH LOGIN PASSWORD '$SIM_DB_PASS';
SELECT format('CREATE DATABASE %I OWNER newapi_sim', '$DB_NAME')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
  newapi-sim load "$@" || echo "history already loaded"
  # The roles and the observer's schema, then its tables as their owner (the aggregator also creates them at start).
  agg_schema=${AGG_DB_NAME:-observer}
  { fill "$SCHEMA/grants.postgres.sql" "$agg_schema"; fill "$SCHEMA/grants-logs.postgres.sql" "$agg_schema"; } |
    db -d "$DB_NAME"
  { echo "SET ROLE newapi_agg; SET search_path = \"$agg_schema\";"; cat "$SCHEMA/observer-tables.postgres.sql"; } |
    db -d "$DB_NAME"
  fill "$SCHEMA/grants-logs.postgres.sql" "$agg_schema" | db -d "$DB_NAME"  # again, for Grafana's table
else
  db() { mysql --host="$DB_HOST" --port="$DB_PORT" --user=root --password="$MYSQL_ROOT_PASSWORD" "$@"; }
  until db -e 'SELECT 1' >/dev/null 2>&1; do echo "waiting for MySQL at $DB_HOST:$DB_PORT"; sleep 2; done
  db -e "CREATE USER IF NOT EXISTS 'newapi_sim'@'%' IDENTIFIED BY '$SIM_DB_PASS';
         GRANT ALL ON \`$DB_NAME\`.* TO 'newapi_sim'@'%';"
  newapi-sim load "$@" || echo "history already loaded"
  db "$DB_NAME" <"$SCHEMA/observer-tables.sql"
  { fill "$SCHEMA/grants.sql" "${AGG_DB_NAME:-$DB_NAME}"; fill "$SCHEMA/grants-logs.sql" "${AGG_DB_NAME:-$DB_NAME}"; } | db
fi
exec newapi-sim live "$@"
