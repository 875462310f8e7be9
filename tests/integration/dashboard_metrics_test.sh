#!/usr/bin/env bash
# Every metric name the Grafana dashboards and the Prometheus rules use exists: newapi_* families in exporter/metrics.md
# or aggregator/metrics.md (histograms with their _bucket/_count/_sum series), level:metric:operations names in
# prometheus/rules/recording.yml, or one of Prometheus' own series. Also, for every dashboard file (grafana/dashboards
# for both engines, grafana/dashboards-mysql and grafana/dashboards-postgres for the one of DB_TYPE): stable uids,
# unique within what one deployment loads, a description and a datasource variable of its engine's type; and the
# same dashboards, panels and variables for both engines.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
DASHBOARDS=("$REPO_ROOT"/grafana/dashboards*/*.json)
RULES=("$REPO_ROOT"/prometheus/rules/*.yml)

# name type, one per documented family.
documented=$(sed -n 's/^| `\(newapi_[a-z0-9_]*\)` | \([a-z]*\) |.*/\1 \2/p' "$REPO_ROOT"/exporter/metrics.md "$REPO_ROOT"/aggregator/metrics.md)
recorded=$(sed -n 's/^ *- record: *//p' "${RULES[@]}")
builtins="up ALERTS ALERTS_FOR_STATE scrape_duration_seconds scrape_samples_scraped scrape_samples_post_metric_relabeling scrape_series_added"

known() {
  local name=$1 base
  grep -qx "$name" <<<"$recorded" && return 0
  grep -qw "$name" <<<"$builtins" && return 0
  grep -q "^$name " <<<"$documented" && return 0
  base=$(sed -E 's/_(bucket|count|sum)$//' <<<"$name")
  grep -q "^$base histogram$" <<<"$documented"
}

# The PromQL of every dashboard target and template variable, and the rule files whole (their templates query too).
promql=$( { jq -r '.. | objects | (.expr?, .definition?) // empty' "${DASHBOARDS[@]}"; sed -E 's/(^|\s)#\s.*//' "${RULES[@]}"; } )
names=$(grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*' <<<"$promql" | grep -E '^newapi_|:|^(up|ALERTS|scrape_[a-z_]+)$' |
          grep -vE '^(https?|[a-z_]*:$)' | sort -u)
count=0
for name in $names; do
  count=$((count + 1))
  known "$name" || fail "$name is used but neither documented, recorded nor a Prometheus series"
done
check "checked $count metric names" test "$count" -ge 40

# Recorded names must be the ones the rules define, and every recording rule is used by an alert or a dashboard.
for name in $recorded; do
  uses=$( { jq -r '.. | objects | .expr? // empty' "${DASHBOARDS[@]}"; sed -n 's/^ *expr: *//p' "${RULES[@]}"; } | grep -c "$name")
  [ "$uses" -ge 1 ] || fail "recording rule $name is used nowhere"
done

# Grafana's plugin id for each folder's SQL datasource; the Prometheus dashboards query only Prometheus.
declare -A PLUGIN=([dashboards]=prometheus [dashboards-mysql]=mysql [dashboards-postgres]=grafana-postgresql-datasource)
for engine in mysql postgres; do
  deployed=("$REPO_ROOT"/grafana/dashboards/*.json "$REPO_ROOT"/grafana/dashboards-$engine/*.json)
  uids=$(jq -r .uid "${deployed[@]}")
  check "DB_TYPE=$engine: ${#deployed[@]} dashboards with distinct newapi-* uids" \
    test "$(sort -u <<<"$uids" | grep -c '^newapi-')" = "${#deployed[@]}"
done
# A dashboard's shape: everything but its SQL, its datasource type and name, and its description.
shape() {
  jq -S 'del(.description) | walk(if type == "object" then del(.rawSql) else . end)
         | (.templating.list[] | select(.type == "datasource")) |= {type}
         | walk(if type == "object" and has("uid") and has("type") and (.uid | startswith("${")) then {} else . end)' "$1"
}
for f in "$REPO_ROOT"/grafana/dashboards-mysql/*.json; do
  twin=$REPO_ROOT/grafana/dashboards-postgres/$(basename "$f")
  check "$(basename "$f"): the PostgreSQL twin has the same panels and variables" \
    cmp -s <(shape "$f") <(shape "$twin" 2>/dev/null)
done
check "each engine has the same SQL dashboards" \
  test "$(cd "$REPO_ROOT/grafana/dashboards-mysql" && ls)" = "$(cd "$REPO_ROOT/grafana/dashboards-postgres" && ls)"
for f in "${DASHBOARDS[@]}"; do
  plugin=${PLUGIN[$(basename "$(dirname "$f")")]}
  jq -e --arg plugin "$plugin" '(.description | length > 0)
         and any(.templating.list[]; .type == "datasource" and .query == $plugin)
         and all(.panels[] | select(.targets); (.datasource.uid | startswith("${")) and .datasource.type == $plugin)' \
    "$f" >/dev/null ||
    fail "$(basename "$f") lacks a description or a $plugin datasource variable, or a panel uses another datasource"
  # Rates follow Grafana's scrape-aware window, except the recording rules' fixed ones.
  ! jq -r '.. | objects | .expr? // empty' "$f" | grep -E '\[[0-9]+[smhd]\]' >/dev/null ||
    fail "$(basename "$f") has a fixed rate window: use \$__rate_interval"
done
finish
