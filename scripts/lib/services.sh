# Shell functions that start and stop the stack's services on loopback, each in its own directory, by PID.
# Sourced by scripts/stack and by the integration tests; nothing here touches system services.

# Prints a message to stderr with the script's name.
say() { echo "[$(basename "$0")] $*" >&2; }

# Waits until a command succeeds; wait_until SECONDS COMMAND...
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# True when the process in PIDFILE is alive.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops the process in PIDFILE: SIGNAL (default TERM), then SIGKILL after SECONDS (default 15). Removes the file.
stop_pidfile() {
  local pidfile=$1 seconds=${2:-15} signal=${3:-TERM} pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -"$signal" "$pid" 2>/dev/null
    local deadline=$(( $(date +%s) + seconds ))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null; sleep 0.2; break; fi
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

# Starts a program in the background with its output in LOGFILE and its PID in PIDFILE.
# start_background PIDFILE LOGFILE COMMAND...
start_background() {
  local pidfile=$1 logfile=$2; shift 2
  "$@" >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

# mariadb_start DIR PORT [LOGFILE]: a private MariaDB on 127.0.0.1:PORT with its data, socket and PID under DIR.
# Creates the data directory on first use. root@localhost authenticates over the socket (no password).
mariadb_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local logfile=${3:-$dir/mariadb.err}
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(--user=root)
  mkdir -p "$dir/tmp"
  cat >"$dir/my.cnf" <<CNF
[mariadbd]
datadir=$dir/data
tmpdir=$dir/tmp
socket=$dir/mariadb.sock
pid-file=$dir/mariadb.pid
port=$port
bind-address=127.0.0.1
log-error=$logfile
skip-log-bin
local-infile=1
innodb-buffer-pool-size=${MARIADB_BUFFER_POOL:-1G}
innodb-log-file-size=512M
innodb-flush-log-at-trx-commit=2
max-connections=200
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
CNF
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --defaults-file="$dir/my.cnf" "${run_as[@]}" --auth-root-authentication-method=socket \
      --skip-test-db >"$dir/install.log" 2>&1 || { say "mariadb-install-db failed:"; tail -n 20 "$dir/install.log" >&2; return 1; }
  fi
  mariadbd --defaults-file="$dir/my.cnf" "${run_as[@]}" >>"$dir/mariadb.out" 2>&1 &
  echo $! >"$dir/server.pid"
  if ! wait_until 60 mariadb-admin --no-defaults --socket="$dir/mariadb.sock" -uroot ping; then
    say "MariaDB did not start on port $port; last lines of $logfile:"
    tail -n 20 "$logfile" >&2
    return 1
  fi
}

# mariadb_sql DIR SQL...: runs SQL as root over the private socket.
mariadb_sql() {
  local dir=$1; shift
  mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot --batch --skip-column-names -e "$*"
}

mariadb_stop() { stop_pidfile "$1/server.pid" 60; }

# The newest installed PostgreSQL's server programs (initdb, postgres): Debian keeps them off the PATH.
postgres_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# postgres_start DIR PORT [LOGFILE]: a private PostgreSQL on 127.0.0.1:PORT with its data (DIR/data), socket and PID
# (DIR/server.pid, the postmaster's) under DIR, settings for tests (no fsync; POSTGRES_SHARED_BUFFERS, default 128MB;
# POSTGRES_PRELOAD: shared_preload_libraries, e.g. pg_stat_statements).
# Creates the cluster on first use, superuser `postgres`. The socket in DIR trusts local users (mode 0700: only the
# server's user, and root); TCP asks for passwords (scram-sha-256). As root the server runs as the `postgres` system
# user, which owns DIR then (DIR's parents must let it in, e.g. under /tmp). The port is kept in DIR/port.
postgres_start() {
  local dir=$1 port=$2 bin
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local logfile=${3:-$dir/postgres.log}
  bin=$(postgres_bindir)
  [ -x "$bin/postgres" ] || { say "no PostgreSQL server under /usr/lib/postgresql/*/bin"; return 1; }
  local run_as=()
  if [ "$(id -u)" = 0 ]; then
    run_as=(runuser -u postgres --)
    chown -R postgres: "$dir"
  fi
  echo "$port" >"$dir/port"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth=trust \
      >"$dir/initdb.log" 2>&1 || { say "initdb failed:"; tail -n 20 "$dir/initdb.log" >&2; return 1; }
  fi
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 scram-sha-256
HBA
  "${run_as[@]}" "$bin/postgres" -D "$dir/data" -k "$dir" -h 127.0.0.1 -p "$port" \
    -c unix_socket_permissions=0700 -c shared_buffers="${POSTGRES_SHARED_BUFFERS:-128MB}" -c max_connections=200 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries="${POSTGRES_PRELOAD:-}" \
    </dev/null >>"$logfile" 2>&1 &
  echo $! >"$dir/server.pid"
  if ! wait_until 60 pg_isready -q -h 127.0.0.1 -p "$port"; then
    say "PostgreSQL did not start on port $port; last lines of $logfile:"
    tail -n 20 "$logfile" >&2
    return 1
  fi
  # As root $! is runuser's PID: keep the postmaster's, so that postgres_stop signals the server itself.
  head -n 1 "$dir/data/postmaster.pid" >"$dir/server.pid"
}

# postgres_sql DIR [SQL...]: runs SQL (or, without SQL, the script on stdin, psql meta-commands allowed) as the
# superuser over the private socket, in database $PGDATABASE (default new-api), stopping at the first error. Output:
# rows unaligned, fields separated by |, no headers; NOTICEs ("already exists, skipping") are not shown.
postgres_sql() {
  local dir=$1; shift
  local psql=(env PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
              psql -X -q -v ON_ERROR_STOP=1 --no-align --tuples-only -h "$dir" -p "$(cat "$dir/port")" -U postgres
              -d "${PGDATABASE:-new-api}")
  if [ $# -gt 0 ]; then "${psql[@]}" -c "$*"; else "${psql[@]}" -f -; fi
}

# Fast shutdown (SIGINT: disconnects the sessions, then a clean stop); SIGTERM would wait for every client.
postgres_stop() { stop_pidfile "$1/server.pid" 60 INT; }

# The engine of the test database: DB_ENGINE=mysql (MariaDB, the default) or postgres. The db_* functions and
# create_*_users below call the engine's own functions.
db_engine() {
  case ${DB_ENGINE:-mysql} in
    mysql|mariadb) echo mysql ;;
    postgres|postgresql) echo postgres ;;
    *) say "DB_ENGINE must be mysql or postgres, not '$DB_ENGINE'"; return 1 ;;
  esac
}

# db_start DIR PORT [LOGFILE]: mariadb_start or postgres_start.
db_start() {
  case $(db_engine) in mysql) mariadb_start "$@" ;; postgres) postgres_start "$@" ;; *) return 1 ;; esac
}

# db_stop DIR: mariadb_stop or postgres_stop.
db_stop() {
  case $(db_engine) in mysql) mariadb_stop "$@" ;; postgres) postgres_stop "$@" ;; *) return 1 ;; esac
}

# db_sql DIR SQL...: runs SQL as root (MariaDB, no database selected: qualify names) or as the superuser in database
# $PGDATABASE (PostgreSQL, default new-api). Output: tab- or |-separated rows without headers.
db_sql() {
  case $(db_engine) in mysql) mariadb_sql "$@" ;; postgres) postgres_sql "$@" ;; *) return 1 ;; esac
}

# redis_start DIR PORT [LOGFILE]: a private Redis on 127.0.0.1:PORT without persistence.
redis_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  local logfile=${3:-$dir/redis.log}
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --daemonize no \
    >>"$logfile" 2>&1 &
  echo $! >"$dir/server.pid"
  wait_until 15 redis-cli -p "$port" ping || { say "Redis did not start on port $port"; return 1; }
}

redis_stop() { stop_pidfile "$1/server.pid" 10; }

# create_simulator_user DIR PASSWORD [DATABASE]: the account newapi-sim writes with (all rights on that database).
# PostgreSQL: role newapi_sim owns DATABASE (created if missing), so the tables it creates in public are its own, and
# may create databases (newapi-sim --reset drops and recreates DATABASE, as GRANT ALL allows on MariaDB).
create_simulator_user() {
  local dir=$1 password=$2 db=${3:-new-api}
  if [ "$(db_engine)" = postgres ]; then
    PGDATABASE=postgres postgres_sql "$dir" <<SQL
SELECT 'CREATE ROLE newapi_sim LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newapi_sim') \gexec
ALTER ROLE newapi_sim WITH LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER newapi_sim', '$db')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \gexec
ALTER DATABASE "$db" OWNER TO newapi_sim;
SQL
    return
  fi
  mariadb_sql "$dir" "CREATE USER IF NOT EXISTS 'newapi_sim'@'%' IDENTIFIED BY '$password';
    ALTER USER 'newapi_sim'@'%' IDENTIFIED BY '$password'; GRANT ALL PRIVILEGES ON \`$db\`.* TO 'newapi_sim'@'%';"
}

# create_observer_users DIR RO_PASSWORD AGG_PASSWORD [DATABASE] [AGG_DATABASE] [LOGS_DATABASE]: the observer's own
# tables (schema/observer-tables.sql) and the exporter's, aggregator's and Grafana's accounts (schema/grants.sql in
# DATABASE, schema/grants-logs.sql in LOGS_DATABASE, by default DATABASE: where logs live; filled in by
# schema/fill-grants.sh; Grafana's password: $GRAFANA_PASSWORD, else a random one); the new-api tables must exist.
# MariaDB: the observer's tables go to AGG_DATABASE, by default LOGS_DATABASE. PostgreSQL: AGG_DATABASE is a schema of
# LOGS_DATABASE (default observer); grants-logs.postgres.sql creates it and the roles, then
# schema/observer-tables.postgres.sql is loaded there as newapi_agg (the aggregator does the same at its start), so the
# tables are newapi_agg's and the exporter may read them; grants-logs.postgres.sql runs once more for Grafana's table.
create_observer_users() {
  local dir=$1 ro=$2 agg=$3 db=${4:-new-api}
  local logs_db=${6:-$db} grafana=${GRAFANA_PASSWORD:-$(random_password)}
  if [ "$(db_engine)" = postgres ]; then
    local agg_schema=${5:-observer}
    fill_grants "$REPO_ROOT/schema/grants.postgres.sql" | PGDATABASE=$db postgres_sql "$dir" || return 1
    fill_grants "$REPO_ROOT/schema/grants-logs.postgres.sql" | PGDATABASE=$logs_db postgres_sql "$dir" || return 1
    { echo "SET ROLE newapi_agg;"; echo "SET search_path = \"$agg_schema\";"
      cat "$REPO_ROOT/schema/observer-tables.postgres.sql"; } | PGDATABASE=$logs_db postgres_sql "$dir" || return 1
    fill_grants "$REPO_ROOT/schema/grants-logs.postgres.sql" | PGDATABASE=$logs_db postgres_sql "$dir"
    return
  fi
  local agg_db=${5:-$logs_db}
  mariadb_sql "$dir" "CREATE DATABASE IF NOT EXISTS \`$agg_db\`"
  mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot "$agg_db" <"$REPO_ROOT/schema/observer-tables.sql"
  { fill_grants "$REPO_ROOT/schema/grants.sql"; fill_grants "$REPO_ROOT/schema/grants-logs.sql"; } |
    mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot
}
# fill_grants FILE: the grants file with create_observer_users' names and passwords in its placeholders (escaped).
fill_grants() {
  DB_NAME=$db LOGS_DB_NAME=$logs_db AGG_DB_NAME=${agg_schema:-$agg_db} RO_PASSWORD=$ro AGG_PASSWORD=$agg \
    GRAFANA_PASSWORD=$grafana "$REPO_ROOT/schema/fill-grants.sh" "$1"
}

# loopback_config FILE EXPORTER_PORT AGGREGATOR_PORT ALERTMANAGER_PORT [INTERVAL [FOR [GROUP_WAIT]]]: prints a
# Prometheus config, rules file or Alertmanager config of this repository with the compose deployment's service
# addresses replaced by loopback ports and, for tests that need alerts in seconds, the global scrape and evaluation
# intervals by INTERVAL, every alert's for: by FOR and every route's group_wait by GROUP_WAIT (each default:
# unchanged). Alertmanager's RELAY_TOKEN file (/run/relay/token in compose) becomes relay-token and Prometheus'
# METRICS_TOKEN file (/run/metrics/token) metrics-token, each resolved beside its config file. The only difference of the native stack: the rules themselves have one source.
loopback_config() {
  local file=$1 exporter=$2 aggregator=$3 alertmanager=$4 interval=${5:-} alert_for=${6:-} group_wait=${7:-}
  sed -e "s/exporter:8080/127.0.0.1:$exporter/g" -e "s/aggregator:8081/127.0.0.1:$aggregator/g" \
      -e "s/alertmanager:9093/127.0.0.1:$alertmanager/g" -e "s#credentials_file: /run/relay/token#credentials_file: relay-token#" \
      -e "s#credentials_file: /run/metrics/token#credentials_file: metrics-token#" \
      ${interval:+-e "s/^  \(scrape\|evaluation\)_interval: .*/  \1_interval: $interval/"} \
      ${alert_for:+-e "s/^\( *\)for: .*/\1for: $alert_for/"} \
      ${group_wait:+-e "s/^\( *\)group_wait: .*/\1group_wait: $group_wait/"} "$file"
}

# prometheus_start DIR PORT LOGFILE CONFIG_COMMAND...: Prometheus on 127.0.0.1:PORT with this repository's
# prometheus.yml and rules/*.yml, each printed by CONFIG_COMMAND with the file as its last argument (a loopback_config
# call) into DIR, and its TSDB under DIR, sending $METRICS_TOKEN (if any) to the exporter (DIR/metrics-token, mode
# 0600). PID in DIR/server.pid.
prometheus_start() {
  local dir=$1 port=$2 logfile=$3 rules; shift 3
  mkdir -p "$dir/data"
  (umask 077; printf '%s' "${METRICS_TOKEN:-}" >"$dir/metrics-token")
  "$@" "$REPO_ROOT/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  # Stacks made before the rules were copied have a link to the repository's rules here: never write through it.
  if [ -L "$dir/rules" ]; then rm "$dir/rules"; fi
  mkdir -p "$dir/rules"
  rm -f "$dir"/rules/*.yml
  for rules in "$REPO_ROOT"/prometheus/rules/*.yml; do "$@" "$rules" >"$dir/rules/${rules##*/}"; done
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$dir/server.pid"
  wait_until 30 curl -fsS "http://127.0.0.1:$port/-/ready" ||
    { say "Prometheus did not start on port $port; last lines of $logfile:"; tail -n 15 "$logfile" >&2; return 1; }
}

prometheus_stop() { stop_pidfile "$1/server.pid" 30; }

# alertmanager_start DIR PORT [LOGFILE] <CONFIG: Alertmanager on 127.0.0.1:PORT with the config read from stdin
# (written to DIR), its state under DIR and clustering off, sending $RELAY_TOKEN to the relay (DIR/relay-token, mode
# 0600; a random one when unset). PID in DIR/server.pid.
alertmanager_start() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  local logfile=${3:-$dir/alertmanager.log}
  cat >"$dir/alertmanager.yml"
  (umask 077; printf '%s' "${RELAY_TOKEN:-$(random_password)}" >"$dir/relay-token")
  prometheus-alertmanager --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= </dev/null >>"$logfile" 2>&1 &
  echo $! >"$dir/server.pid"
  wait_until 30 curl -fsS "http://127.0.0.1:$port/-/ready" ||
    { say "Alertmanager did not start on port $port; last lines of $logfile:"; tail -n 15 "$logfile" >&2; return 1; }
}

alertmanager_stop() { stop_pidfile "$1/server.pid" 15; }

# A random password of 24 letters and digits.
random_password() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24; }

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
