#!/bin/sh
# The compose demo's database: fills the demo MySQL with simulated new-api history (newapi-sim load), creates the
# observer's tables and least-privilege accounts from schema/, then appends live traffic with injected anomalies.
set -eu
SCHEMA=/opt/newapi-observer/schema
db() { mysql --host="$DB_HOST" --port="$DB_PORT" --user=root --password="$MYSQL_ROOT_PASSWORD" "$@"; }

until db -e 'SELECT 1' >/dev/null 2>&1; do echo "waiting for MySQL at $DB_HOST:$DB_PORT"; sleep 2; done
db -e "CREATE USER IF NOT EXISTS 'newapi_sim'@'%' IDENTIFIED BY '$SIM_DB_PASS';
       GRANT ALL ON \`$DB_NAME\`.* TO 'newapi_sim'@'%';"
newapi-sim load --db.host="$DB_HOST" --db.port="$DB_PORT" --db.name="$DB_NAME" --db.user=newapi_sim ||
  echo "history already loaded"
db "$DB_NAME" <"$SCHEMA/observer-tables.sql"
sed -e "s/@DB_NAME@/$DB_NAME/g" -e "s/@AGG_DB_NAME@/${AGG_DB_NAME:-$DB_NAME}/g" \
    -e "s/@RO_PASSWORD@/$DB_PASS_RO/g" -e "s/@AGG_PASSWORD@/$DB_PASS_AGG/g" "$SCHEMA/grants.sql" | db
exec newapi-sim live --db.host="$DB_HOST" --db.port="$DB_PORT" --db.name="$DB_NAME" --db.user=newapi_sim
