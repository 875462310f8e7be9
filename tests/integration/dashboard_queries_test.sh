#!/usr/bin/env bash
# Runs every query of the Grafana dashboards one deployment loads against the native stack, as Grafana would: the
# Prometheus dashboards and the SQL dashboards of the stack's engine (DB_ENGINE=mysql: grafana/dashboards-mysql on
# MariaDB, postgres: grafana/dashboards-postgres on PostgreSQL). PromQL through Prometheus' HTTP API (range or instant,
# template variables and $__rate_interval / $__range expanded), SQL as Grafana's own account with that datasource's
# macros expanded. No query may fail, and each must return data: the simulator feeds every panel (errors, streams, IP
# logging, bursts).
# Usage: dashboard_queries_test.sh BUILD_DIR PORT_BASE
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 PORT_BASE=$2
ENGINE=$(db_engine) || exit 1
private_stack "$PORT_BASE"
PROMETHEUS=http://127.0.0.1:$STACK_PROMETHEUS_PORT

"$STACK" up >"$TEST_DIR/up.out" 2>&1 || { cat "$TEST_DIR/up.out" >&2; fail "scripts/stack up"; finish; }
source "$STACK_DIR/secrets.env"

# instant QUERY: Prometheus' JSON answer.
instant() { curl -fsS "$PROMETHEUS/api/v1/query" --data-urlencode "query=$1"; }
has_data() { instant "$1" | jq -e '.data.result | length > 0' >/dev/null; }
check "Prometheus records the usage rules" wait_until 90 has_data 'channel:newapi_requests:rate5m'
check "the exporter reports an anomaly hit" wait_until 150 has_data 'newapi_anomaly'
check "a minute of scrapes" wait_until 90 has_data 'count_over_time(up{job="newapi-exporter"}[1m]) >= 10'

# Grafana's built-ins: $__rate_interval is at least 4 scrapes (1m covers 15 s production scrapes); $__range is the
# time the stack has been scraped.
RATE_INTERVAL=1m RANGE=5m
now=$(date +%s) from=$(( $(date +%s) - 7 * 86400 ))

# queries FILE: one JSON object per target and template variable: {panel, ref, kind (promql|sql|label_values), query,
# instant}, with the dashboard's variables replaced by what Grafana sends for their defaults (query variables: All).
queries() {
  jq -c --arg ri "$RATE_INTERVAL" --arg range "$RANGE" '
    (.templating.list | map(select(.type != "datasource")
       | {key: .name, value: (if .type == "query" then (.allValue // ".*") elif .type == "custom" then .current.value
                              else .query end)}) ) as $vars
    | def expand: reduce $vars[] as $v (.; gsub("\\$\\{" + $v.key + "\\}|\\$" + $v.key + "\\b"; $v.value))
        | gsub("\\$__rate_interval"; $ri) | gsub("\\$__range"; $range);
    .title as $board
    | ( .panels[] | select(.targets) | .title as $panel | .targets[]
        | {panel: ($board + "/" + $panel), ref: .refId, kind: (if .rawSql then "sql" else "promql" end),
           query: ((.rawSql // .expr) | expand), instant: (.instant // false)} ),
      ( .templating.list[] | select(.type == "query")
        | {panel: ($board + "/$" + .name), ref: "var", kind: "label_values", query: (.definition | expand), instant: true} )' "$1"
}

# expand_sql SQL: the engine's Grafana macros for the dashboard's default range (the last 7 days), as Grafana 11's
# MySQL and PostgreSQL datasources expand them.
expand_sql() {
  local group='\1 DIV 3600 * 3600'
  [ "$ENGINE" = postgres ] && group='floor((\1)\/3600)*3600'
  sed -E -e "s/\\\$__unixEpochFilter\\(([^)]*)\\)/\\1 >= $from AND \\1 <= $now/g" \
         -e "s/\\\$__unixEpochGroupAlias\\(([^,]*), *'1h'\\)/$group AS \"time\"/g" <<<"$1"
}

# read_only_sql SQL: runs SQL as Grafana's own account (newapi_grafana, schema/grants*.sql), in a session like
# Grafana's; prints its rows, or ERROR lines.
read_only_sql() {
  if [ "$ENGINE" = postgres ]; then
    PGPASSWORD=$GRAFANA_PASSWORD psql -X -q --no-align --tuples-only -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STACK_DB_PORT" \
      -U newapi_grafana -d new-api -c "$1" 2>&1
  else
    mariadb --no-defaults -h127.0.0.1 -P"$STACK_DB_PORT" -unewapi_grafana -p"$GRAFANA_PASSWORD" --batch --skip-column-names \
      -e "SET SESSION time_zone = '+00:00'; $1" new-api 2>&1
  fi
}

# run QUERY_JSON: prints the number of rows or series, or fails with the error.
run() {
  local kind query answer
  kind=$(jq -r .kind <<<"$1") query=$(jq -r .query <<<"$1")
  case "$kind" in
    promql)
      if [ "$(jq -r .instant <<<"$1")" = true ]; then
        answer=$(curl -sS "$PROMETHEUS/api/v1/query" --data-urlencode "query=$query")
      else
        answer=$(curl -sS "$PROMETHEUS/api/v1/query_range" --data-urlencode "query=$query" \
                   --data-urlencode "start=$((now - 600))" --data-urlencode "end=$(date +%s)" --data-urlencode step=15)
      fi
      jq -e '.status == "success"' >/dev/null <<<"$answer" || { echo "error: $(jq -r .error <<<"$answer")"; return 1; }
      jq '.data.result | length' <<<"$answer" ;;
    label_values)
      local metric label
      # label_values(SELECTOR, LABEL): the selector may hold commas of its own.
      metric=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\1/' <<<"$query") label=$(sed -E 's/^label_values\((.*), *([a-z_]+)\)$/\2/' <<<"$query")
      curl -fsS "$PROMETHEUS/api/v1/label/$label/values" --data-urlencode "match[]=$metric" -G | jq '.data | length' ;;
    sql)
      query=$(expand_sql "$query")
      grep -q '\$' <<<"$query" && { echo "unexpanded macro or variable"; return 1; }
      read_only_sql "$query" | awk '/^(psql:.*)?ERROR/ { print; bad = 1 } END { if (bad) exit 1; print NR }' ;;
  esac
}

total=0 with_data=0 promql=0 sql=0
for dashboard in "$REPO_ROOT"/grafana/dashboards/*.json "$REPO_ROOT"/grafana/dashboards-"$ENGINE"/*.json; do
  while IFS= read -r q; do
    panel=$(jq -r '.panel + " [" + .ref + "]"' <<<"$q") kind=$(jq -r .kind <<<"$q")
    total=$((total + 1))
    [ "$kind" = sql ] && sql=$((sql + 1)) || promql=$((promql + 1))
    if ! rows=$(run "$q"); then fail "$panel: $rows"; continue; fi
    if [ "$rows" -gt 0 ]; then with_data=$((with_data + 1)); else fail "$panel returned no data: $(jq -r .query <<<"$q")"; fi
  done < <(queries "$dashboard")
done
pass "$total queries ran ($promql PromQL and variables, $sql SQL on $ENGINE); $with_data returned data"
check "the dashboards hold queries" test "$total" -ge 60
check "the $ENGINE dashboards hold SQL queries" test "$sql" -ge 3
finish
