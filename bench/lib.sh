# Shared helpers of the exporter benchmarks (bench/*.sh): build, scratch dir and cleanup by PID, a private MariaDB or
# PostgreSQL (BENCH_DB=mysql|postgres) with simulator data, the exporter, metric reads and small statistics. Sourced,
# never run.
# shellcheck shell=bash

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$BENCH_ROOT/.." && pwd)}
source "$REPO_ROOT/scripts/lib/services.sh"

BUILD_DIR=${BUILD_DIR:-$REPO_ROOT/build}
EXPORTER_BIN=$BUILD_DIR/exporter/newapi-exporter
SIM_BIN=$BUILD_DIR/simulator/newapi-sim
# A fixed history end so that the same sizes give the same tables run after run (2026-01-01 00:00 UTC).
HISTORY_END=${BENCH_HISTORY_END:-1767225600}
# The engine every benchmark runs on: mysql (MariaDB, the default) or postgres. services.sh's db_* follow DB_ENGINE.
export DB_ENGINE=${BENCH_DB:-mysql}
db_engine >/dev/null || exit 2
# Big enough to hold a 5M-row logs table with its indexes, so that no figure depends on disk reads.
export MARIADB_BUFFER_POOL=${MARIADB_BUFFER_POOL:-4G} POSTGRES_SHARED_BUFFERS=${POSTGRES_SHARED_BUFFERS:-4GB}
# Per-statement counts and times on PostgreSQL (scrape_cost.sh reads them).
export POSTGRES_PRELOAD=pg_stat_statements
SIM_PASS=bench-sim
RO_PASS=bench-ro

# bench_build [TARGET...]: configures and builds the exporter, the simulator and the TARGETs a benchmark runs
# (incremental; BENCH_NO_BUILD=1 skips it).
bench_build() {
  [ -n "${BENCH_NO_BUILD:-}" ] && return 0
  say "building newapi-exporter, newapi-sim $* in $BUILD_DIR"
  cmake -S "$REPO_ROOT" -B "$BUILD_DIR" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target newapi-exporter newapi-sim "$@" >"${BENCH_DIR:-/tmp}/build.log" 2>&1 ||
    { tail -n 30 "${BENCH_DIR:-/tmp}/build.log" >&2; return 1; }
}

# bench_init: a scratch directory in $BENCH_DIR and a trap that stops, by PID, everything registered with
# bench_track_pidfile / bench_track_db. KEEP_BENCH_DIR=1 keeps the directory (logs, slow logs) afterwards.
BENCH_PIDFILES=()
BENCH_DBS=()
bench_init() {
  BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
  chmod 711 "$BENCH_DIR"  # a root-run PostgreSQL runs as the postgres user, with its data below
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local f d
  for f in "${BENCH_PIDFILES[@]}"; do stop_pidfile "$f" 10; done
  for d in "${BENCH_DBS[@]}"; do db_stop "$d"; done
  if [ -n "${KEEP_BENCH_DIR:-}" ]; then say "kept $BENCH_DIR"; else rm -rf "$BENCH_DIR"; fi
}
bench_track_pidfile() { BENCH_PIDFILES+=("$1"); }
bench_track_db() { BENCH_DBS+=("$1"); }

# bench_db_start DIR PORT: a private database of the benchmark's engine (stopped by the trap) with the simulator's
# account.
bench_db_start() {
  bench_track_db "$1"
  db_start "$1" "$2"
  create_simulator_user "$1" "$SIM_PASS"
}

# bench_db_stop DIR: stops it before the trap would (the next size's database starts on another port).
bench_db_stop() { db_stop "$1"; }

# bench_db_load DIR PORT ROWS USERS: simulator history (7 days) of ROWS logs rows, then the exporter's account.
bench_db_load() {
  local dir=$1 port=$2 rows=$3 users=$4 t0
  say "loading $rows logs rows into the $DB_ENGINE database on port $port"
  t0=$(now_ms)
  sim_run "$port" load --history.rows="$rows" --history.days=7 --users="$users" --history.end="$HISTORY_END" \
    >"$dir/load.log" 2>&1 || { say "history load failed:"; tail -n 5 "$dir/load.log" >&2; return 1; }
  say "loaded in $(( ($(now_ms) - t0) / 1000 )) s"
  create_observer_users "$dir" "$RO_PASS" bench-agg
}

# sim_run PORT ARGS...: newapi-sim with ARGS as the simulator's account on the benchmark's database (foreground).
sim_run() {
  local port=$1; shift
  (SIM_DB_PASS=$SIM_PASS SIM_DB_TYPE=$DB_ENGINE exec "$SIM_BIN" "$@" --db.port="$port" --db.user=newapi_sim)
}

# sql DIR SQL: runs SQL as the administrator on the new-api database over the private socket ("double quoted"
# identifiers on both engines).
sql() {
  local dir=$1; shift
  case $DB_ENGINE in
    mysql) mariadb_sql "$dir" "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'); USE \"new-api\"; $*" ;;
    postgres) postgres_sql "$dir" "$*" | tr '|' '\t' ;;
  esac
}

# SQL that differs per engine in the benchmarks' own statements: the current Unix time, and N numbered rows (column
# seq, 1..N) to select from.
sql_unix_now() { case $DB_ENGINE in mysql) echo "UNIX_TIMESTAMP()" ;; postgres) echo "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)" ;; esac; }
sql_numbers() { case $DB_ENGINE in mysql) echo "seq_1_to_$1" ;; postgres) echo "generate_series(1, $1) AS n(seq)" ;; esac; }

# ro_sql PORT SQL: runs SQL as the exporter's read-only account over TCP with the engine's command-line client,
# streaming the rows unformatted (the raw baselines of tailer_ingest.sh and api_cost.sh).
ro_sql() {
  case $DB_ENGINE in
    mysql) mariadb --no-defaults --quick --batch --skip-column-names -h127.0.0.1 -P"$1" -unewapi_ro -p"$RO_PASS" \
             new-api -e "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'); $2" ;;
    postgres) PGPASSWORD=$RO_PASS psql -X -q -v ON_ERROR_STOP=1 --no-align --tuples-only -h 127.0.0.1 -p "$1" \
                -U newapi_ro -d new-api -c "$2" ;;
  esac
}

# exporter_start PIDFILE LOGFILE DB_PORT API_PORT [VAR=VALUE...]: the exporter in the background (exec'd, so the
# PID is the binary's), stopped by the trap. Entities are read once at start only, so that they stay out of the
# measured windows. The API serves loopback without a token (API_AUTH=none).
exporter_start() {
  local pidfile=$1 logfile=$2 db_port=$3 api_port=$4; shift 4
  bench_track_pidfile "$pidfile"
  # shellcheck disable=SC2163  # "$@" are VAR=VALUE words, exported as such
  (export DB_TYPE=$DB_ENGINE DB_PORT=$db_port API_PORT=$api_port DB_PASS_RO=$RO_PASS ENTITY_REFRESH_SECONDS=86400 \
     API_AUTH=none "$@"
   exec "$EXPORTER_BIN") >"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

# sim_live_start PIDFILE LOGFILE DB_PORT RATE: live traffic without anomalies, stopped by the trap.
sim_live_start() {
  local pidfile=$1 logfile=$2 port=$3 rate=$4
  bench_track_pidfile "$pidfile"
  (SIM_DB_PASS=$SIM_PASS SIM_DB_TYPE=$DB_ENGINE exec "$SIM_BIN" live --live.rate="$rate" --anomaly.interval=0 \
     --db.port="$port" --db.user=newapi_sim) >"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

now_ms() { date +%s%3N; }

# seconds_of COMMAND...: its wall time in seconds (3 decimals), its output discarded; a failed command fails (no time
# for an error).
seconds_of() {
  local t0; t0=$(now_ms)
  "$@" >/dev/null || { say "failed: ${*:0:200}"; return 1; }
  awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.3f", ms / 1000 }'
}

# The time of one request or query as its own client measures it, so that neither side pays for starting a process.
# api_seconds URL: curl's total time (connect, request, the whole response); a failed request fails.
api_seconds() { local t; t=$(curl -fsS -o /dev/null -w '%{time_total}' "$1") || return 1; printf '%.3f' "$t"; }
# query_seconds PORT SQL: the engine's client's time for SQL (its last statement) as the read-only account over TCP,
# all rows read (the mariadb client's "(1 min 2.345 sec)", psql's \timing "Time: 62345.678 ms").
query_seconds() {
  case $DB_ENGINE in
    mysql) mariadb --no-defaults --quick --batch --skip-column-names -vvv -h127.0.0.1 -P"$1" -unewapi_ro -p"$RO_PASS" \
             new-api -e "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'); $2" | awk '/ sec\)$/ { line = $0 } END {
               if (line == "") exit 1
               sub(/.*\(/, "", line); n = split(line, w, " "); s = 0
               for (i = 1; i < n; i += 2) s += w[i] * (w[i + 1] ~ /^hour/ ? 3600 : w[i + 1] ~ /^min/ ? 60 : 1)
               printf "%.3f", s }' ;;
    postgres) PGPASSWORD=$RO_PASS psql -X -q -v ON_ERROR_STOP=1 --no-align --tuples-only -h 127.0.0.1 -p "$1" \
                -U newapi_ro -d new-api -c '\timing on' -c "$2" |
                awk '/^Time: / { ms = $2 } END { if (ms == "") exit 1; printf "%.3f", ms / 1000 }' ;;
  esac
}
# median_of TIMER...: the median of $RUNS runs of TIMER (api_seconds or query_seconds).
median_of() { local times=() i; for i in $(seq 1 "${RUNS:-3}"); do times+=("$("$@")") || return 1; done; median "${times[@]}"; }
# median_or_once TIMER...: as median_of, but a first run over SLOW_S seconds (60) is the figure alone (the design
# document's 7-day distinct counts run for minutes at millions of rows).
SLOW_S=${SLOW_S:-60}
median_or_once() {
  local times=() i
  times+=("$("$@")") || return 1
  if awk -v s="${times[0]}" -v slow="$SLOW_S" 'BEGIN { exit !(s <= slow) }'; then
    for i in $(seq 2 "${RUNS:-3}"); do times+=("$("$@")") || return 1; done
  fi
  median "${times[@]}"
}

# metric API_PORT NAME_WITH_LABELS: the sample's value, or nothing when absent or the scrape failed.
metric() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '$1 == n && !found { print $2; found = 1 }'  # reads to the end: no SIGPIPE for curl
}

# metric_at_least API_PORT NAME VALUE: true when the sample exists and is >= VALUE (values may print as 1e+06).
metric_at_least() { local v; v=$(metric "$1" "$2"); [ -n "$v" ] && awk -v v="$v" -v t="$3" 'BEGIN { exit !(v + 0 >= t + 0) }'; }

# tail_running API_PORT: the tailer's last refresh succeeded.
tail_running() { [ "$(metric "$1" 'newapi_exporter_collector_success{collector="log_tail"}')" = 1 ]; }

# The tailer's column list, read from kLogColumns in logs.h so that the raw baseline selects exactly what it does
# (identifiers in double quotes, as the exporter sends them).
log_columns() {
  sed -n '/kLogColumns =/,/;/p' "$REPO_ROOT/common/include/observer/newapi/logs.h" |
    sed -n 's/^[^"]*"\(.*\)"[ ;]*$/\1/p' | sed 's/\\"/"/g' | tr -d '\n' | sed 's/ *$//'
}

# design_rule_sql RULE FROM TO: the design document's query for a risk rule (section 6) over [FROM, TO): per-minute
# counts per token (burst), distinct users and IPs per token (multi_user_token), distinct users per IP
# (ip_many_users), sizes above the model's mean + 4 standard deviations (big_request).
design_rule_sql() {
  local pair="user_id, ip"
  [ "$DB_ENGINE" = postgres ] && pair="(user_id, ip)"  # a distinct pair per engine
  case $1 in
    burst) echo "SELECT token_id, FLOOR(created_at / 60) AS minute, COUNT(*) FROM logs WHERE created_at >= $2 AND created_at < $3 AND type = 2 GROUP BY token_id, minute HAVING COUNT(*) >= 120" ;;
    multi_user_token) echo "SELECT token_id, COUNT(DISTINCT $pair) FROM logs WHERE created_at >= $2 AND created_at < $3 AND type = 2 GROUP BY token_id HAVING COUNT(DISTINCT $pair) >= 6" ;;
    ip_many_users) echo "SELECT ip, COUNT(DISTINCT user_id) FROM logs WHERE created_at >= $2 AND created_at < $3 AND type IN (2, 5, 7) GROUP BY ip HAVING COUNT(DISTINCT user_id) >= 5" ;;
    big_request) echo "SELECT l.id FROM logs l JOIN (SELECT model_name, AVG(prompt_tokens + completion_tokens) AS m, STDDEV(prompt_tokens + completion_tokens) AS s FROM logs WHERE created_at >= $2 AND created_at < $3 AND type = 2 GROUP BY model_name) b ON b.model_name = l.model_name WHERE l.created_at >= $2 AND l.created_at < $3 AND l.type = 2 AND l.prompt_tokens + l.completion_tokens > b.m + 4 * b.s" ;;
  esac
}

# rss_kb PID: VmRSS of the process, in kB.
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# median V...: the median (middle of the sorted values; mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# percentile P < values: the nearest-rank percentile of the numbers on stdin.
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print v[r] }'; }

# ratio A B: A / B with two decimals, or "n/a" when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print (a + 0 == 0 ? "1.00 (0/0)" : "n/a"); else printf "%.2f\n", a / b }'; }

# The database server's name and version, e.g. 10.11.19-MariaDB or PostgreSQL 15.14.
db_version() {
  case $DB_ENGINE in
    mysql) mariadb --version | grep -o '[0-9.]*-MariaDB' ;;
    postgres) echo "PostgreSQL $("$(postgres_bindir)/postgres" --version | sed -n 's/.*(PostgreSQL) \([0-9.]*\).*/\1/p')" ;;
  esac
}

# One line naming the conditions of a run: the exporter binary's version (with the revision it was built from),
# the database server, CPUs, load average, date.
bench_conditions() {
  echo "($("$EXPORTER_BIN" --version), $(db_version), $(nproc) CPUs, load $(cut -d" " -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ))"
}
