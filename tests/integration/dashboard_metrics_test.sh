#!/usr/bin/env bash
# Every metric name the Grafana dashboards and the Prometheus rules use exists: newapi_* families in exporter/metrics.md
# or aggregator/metrics.md (histograms with their _bucket/_count/_sum series), level:metric:operations names in
# prometheus/rules/recording.yml, or one of Prometheus' own series. Also: stable, unique dashboard uids, a description
# and a datasource variable per dashboard.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
DASHBOARDS=("$REPO_ROOT"/grafana/dashboards/*.json)
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

uids=$(jq -r .uid "${DASHBOARDS[@]}")
check "${#DASHBOARDS[@]} dashboards with distinct newapi-* uids" \
  test "$(sort -u <<<"$uids" | grep -c '^newapi-')" = "${#DASHBOARDS[@]}"
for f in "${DASHBOARDS[@]}"; do
  jq -e '(.description | length > 0) and any(.templating.list[]; .type == "datasource")
         and all(.panels[] | select(.targets); .datasource.uid | startswith("${"))' "$f" >/dev/null ||
    fail "$(basename "$f") lacks a description, a datasource variable, or a panel uses a fixed datasource"
  # Rates follow Grafana's scrape-aware window, except the recording rules' fixed ones.
  ! jq -r '.. | objects | .expr? // empty' "$f" | grep -E '\[[0-9]+[smhd]\]' >/dev/null ||
    fail "$(basename "$f") has a fixed rate window: use \$__rate_interval"
done
finish
