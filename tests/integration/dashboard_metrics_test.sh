#!/usr/bin/env bash
# Every metric name the Grafana dashboards and the Prometheus rules use exists: newapi_* families in exporter/metrics.md
# or aggregator/metrics.md (histograms with their _bucket/_count/_sum series), level:metric:operations names in
# prometheus/rules/recording.yml, or one of Prometheus' own series. Also, for every dashboard file (grafana/dashboards
# for both engines, grafana/dashboards-mysql and grafana/dashboards-postgres for the one of DB_TYPE): stable uids,
# unique within what one deployment loads, a description and a datasource variable of its engine's type; the same
# dashboards, panels and variables for both engines; a description and a unit on every panel. The Prometheus rules and
# dashboards are mixin/generate.py's output: current, free of the default job names when generated with others, every
# target filtered by the job/instance variables and every sum over exporter series taken once across replicas.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
DASHBOARDS=("$REPO_ROOT"/grafana/dashboards*/*.json)
RULES=("$REPO_ROOT"/prometheus/rules/*.yml)
make_test_dir
trap '[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT

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

# Every panel but rows and text says what it shows and in which unit.
for f in "${DASHBOARDS[@]}"; do
  jq -r '.panels[] | select(.type != "row" and .type != "text")
         | select((.description // "") == "" or (.fieldConfig.defaults.unit // "") == "") | .title' "$f" |
    while IFS= read -r title; do echo "$(basename "$f"): panel \"$title\" lacks a description or a unit"; done
done >"$TEST_DIR/undescribed"
check "every panel has a description and a unit" test ! -s "$TEST_DIR/undescribed"
cat "$TEST_DIR/undescribed" >&2

# The Prometheus dashboards' targets and variables (but the job and instance variables, which hold the config's
# selectors): "name{matchers}" for each series they select, one per line, prefixed with "file: ".
selectors() {
  jq -r --arg f "$(basename "$1")" '(.panels[].targets[]?.expr // empty), (.templating.list[]
         | select(.type == "query" and (.name | test("(^|_)(job|instance)$") | not)) | .definition) | $f + ": " + .' "$1" |
    grep -oP '^[^:]+: |(?<![\w:$"])(newapi_\w+|\w+:\w+:\w+|up|scrape_\w+|ALERTS)(\{[^}]*\})?' |
    awk '/: $/ { file = $0; next } { print file $0 }'
}
for f in "$REPO_ROOT"/grafana/dashboards/*.json; do selectors "$f"; done >"$TEST_DIR/selectors"
check "the dashboards select series ($(wc -l <"$TEST_DIR/selectors"))" test "$(wc -l <"$TEST_DIR/selectors")" -ge 60
# A scraped series names the job and instance variables (the exporter's or the aggregator's); a recorded one, taken
# once across replicas already, the job variable; ALERTS has the labels of the alert, not of a target.
grep -vE ': ALERTS' "$TEST_DIR/selectors" | while IFS= read -r line; do
  series=${line#*: }
  case "$series" in
    *:*:*) grep -qE 'job=~"\$(aggregator_)?job"' <<<"$series" ;;
    *) grep -qE 'job=~"\$job".*instance=~"\$instance"|job=~"\$aggregator_job".*instance=~"\$aggregator_instance"' <<<"$series" ;;
  esac || echo "$line"
done >"$TEST_DIR/unfiltered"
check "every dashboard target is filtered by the job/instance variables" test ! -s "$TEST_DIR/unfiltered"
head -5 "$TEST_DIR/unfiltered" >&2
# Every replica exports the same usage series (not the newapi_exporter_* / newapi_aggregator_* ones about itself):
# a sum or count over them takes max without (instance) first, or two exporters double every number.
for f in "$REPO_ROOT"/grafana/dashboards/*.json; do
  jq -r '.panels[] | .title as $t | .targets[]?.expr // empty | $t + ": " + .' "$f" |
    grep -P '\b(sum|count)\b.*(?<![\w:])newapi_(?!exporter_|aggregator_)\w+(?![\w:])' | grep -v 'max without (instance)' |
    sed "s|^|$(basename "$f"): |"
done >"$TEST_DIR/doubled"
check "no sum or count over exporter series without the replica dedupe" test ! -s "$TEST_DIR/doubled"
head -5 "$TEST_DIR/doubled" >&2

# The generated files are current: generate.py from the committed templates and config writes the same files.
GENERATE=$REPO_ROOT/mixin/generate.py
check "mixin/generate.py runs" python3 "$GENERATE" --out "$TEST_DIR/current" >/dev/null
for folder in prometheus/rules grafana/dashboards; do
  check "$folder is what mixin/generate.py writes (run it after editing mixin/)" \
    diff -r "$TEST_DIR/current/$folder" "$REPO_ROOT/$folder"
done
# Another Prometheus' job names: no selector keeps the defaults, and the rules still load.
printf '%s\n' "exporter_selector: 'job=\"llm-gateway\", env=\"prod\"'" "aggregator_selector: 'job=\"llm-rollup\"'" \
  >"$TEST_DIR/other.yaml"
check "mixin/generate.py with other job names" \
  python3 "$GENERATE" --config "$TEST_DIR/other.yaml" --out "$TEST_DIR/other" >/dev/null
other_promql=$( { jq -r '.. | objects | (.expr?, .definition?) // empty' "$TEST_DIR"/other/grafana/dashboards/*.json
                  sed -n 's/^ *expr: *//p' "$TEST_DIR"/other/prometheus/rules/*.yml; } )
check "no selector names newapi-exporter or newapi-aggregator" \
  bash -c '! grep -E "newapi-(exporter|aggregator)" <<<"$1"' _ "$other_promql"
check "the rules select job=\"llm-gateway\", env=\"prod\" ($(grep -c 'job="llm-gateway", env="prod"' <<<"$other_promql") times)" \
  test "$(grep -c 'job="llm-gateway", env="prod"' <<<"$other_promql")" -ge 15
check "the rules select job=\"llm-rollup\"" grep -q 'job="llm-rollup"' <<<"$other_promql"
check "promtool check rules (other job names)" promtool check rules "$TEST_DIR"/other/prometheus/rules/*.yml >/dev/null
finish
