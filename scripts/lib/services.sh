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

# Stops the process in PIDFILE: SIGTERM, then SIGKILL after SECONDS (default 15). Removes the file.
stop_pidfile() {
  local pidfile=$1 seconds=${2:-15} pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
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
create_simulator_user() {
  local dir=$1 password=$2 db=${3:-new-api}
  mariadb_sql "$dir" "CREATE USER IF NOT EXISTS 'newapi_sim'@'%' IDENTIFIED BY '$password';
    ALTER USER 'newapi_sim'@'%' IDENTIFIED BY '$password'; GRANT ALL PRIVILEGES ON \`$db\`.* TO 'newapi_sim'@'%';"
}

# create_observer_users DIR RO_PASSWORD AGG_PASSWORD [DATABASE] [AGG_DATABASE]: the observer's own tables
# (schema/observer-tables.sql, in AGG_DATABASE, by default DATABASE) and the exporter's and aggregator's accounts
# (schema/grants.sql); the new-api tables must exist.
create_observer_users() {
  local dir=$1 ro=$2 agg=$3 db=${4:-new-api}
  local agg_db=${5:-$db}
  mariadb_sql "$dir" "CREATE DATABASE IF NOT EXISTS \`$agg_db\`"
  mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot "$agg_db" <"$REPO_ROOT/schema/observer-tables.sql"
  sed -e "s/@DB_NAME@/$db/g" -e "s/@AGG_DB_NAME@/$agg_db/g" -e "s/@RO_PASSWORD@/$ro/g" -e "s/@AGG_PASSWORD@/$agg/g" \
    "$REPO_ROOT/schema/grants.sql" | mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot
}

# loopback_config FILE EXPORTER_PORT AGGREGATOR_PORT ALERTMANAGER_PORT [INTERVAL [FOR [GROUP_WAIT]]]: prints a
# Prometheus config, rules file or Alertmanager config of this repository with the compose deployment's service
# addresses replaced by loopback ports and, for tests that need alerts in seconds, the global scrape and evaluation
# intervals by INTERVAL, every alert's for: by FOR and every route's group_wait by GROUP_WAIT (each default:
# unchanged). The only difference of the native stack: the rules themselves have one source.
loopback_config() {
  local file=$1 exporter=$2 aggregator=$3 alertmanager=$4 interval=${5:-} alert_for=${6:-} group_wait=${7:-}
  sed -e "s/exporter:8080/127.0.0.1:$exporter/g" -e "s/aggregator:8081/127.0.0.1:$aggregator/g" \
      -e "s/alertmanager:9093/127.0.0.1:$alertmanager/g" \
      ${interval:+-e "s/^  \(scrape\|evaluation\)_interval: .*/  \1_interval: $interval/"} \
      ${alert_for:+-e "s/^\( *\)for: .*/\1for: $alert_for/"} \
      ${group_wait:+-e "s/^\( *\)group_wait: .*/\1group_wait: $group_wait/"} "$file"
}

# prometheus_start DIR PORT LOGFILE CONFIG_COMMAND...: Prometheus on 127.0.0.1:PORT with this repository's
# prometheus.yml and rules/*.yml, each printed by CONFIG_COMMAND with the file as its last argument (a loopback_config
# call) into DIR, and its TSDB under DIR. PID in DIR/server.pid.
prometheus_start() {
  local dir=$1 port=$2 logfile=$3 rules; shift 3
  mkdir -p "$dir/data"
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
# (written to DIR), its state under DIR and clustering off. PID in DIR/server.pid.
alertmanager_start() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  local logfile=${3:-$dir/alertmanager.log}
  cat >"$dir/alertmanager.yml"
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
