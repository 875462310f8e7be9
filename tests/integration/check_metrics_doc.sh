#!/usr/bin/env bash
# Compares a live /metrics exposition with a metrics.md table: every family, its type and its label names must
# appear in both; a family whose row says "(only while" may be absent from the exposition.
# Usage: check_metrics_doc.sh METRICS_URL METRICS_MD. Prints the differences; exit 1 if any.
set -uo pipefail
url=$1 doc=$2
# The first scrape creates the /metrics series of the latency histogram; families without series are not exposed.
curl -fsS --max-time 10 -o /dev/null "$url" || { echo "cannot scrape $url" >&2; exit 1; }
scrape=$(curl -fsS --max-time 10 "$url") || { echo "cannot scrape $url" >&2; exit 1; }

# One "family NAME TYPE" line per family and one "label NAME LABEL" line per label name (le and quantile dropped).
from_scrape=$(awk '
  /^# TYPE / { type[$3] = $4; print "family", $3, $4; next }
  /^#/ || NF == 0 { next }
  {
    name = $1; sub(/\{.*/, "", name)
    if (!(name in type)) sub(/_(bucket|sum|count)$/, "", name)
    inner = $1
    if (!sub(/^[^{]*\{/, "", inner)) next
    sub(/\}$/, "", inner)
    while (match(inner, /^[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?/)) {
      label = substr(inner, 1, index(inner, "=") - 1)
      if (label != "le" && label != "quantile") print "label", name, label
      inner = substr(inner, RLENGTH + 1)
    }
  }' <<<"$scrape" | sort -u)

exposed=$(awk '/^# TYPE / { print $3 }' <<<"$scrape")
from_doc=$(awk -F'|' -v exposed="$exposed" '
  BEGIN { n = split(exposed, names, "\n"); for (i = 1; i <= n; i++) present[names[i]] = 1 }
  /^\| `(newapi|process)_/ {
    name = $2; gsub(/[ `]/, "", name); type = $3; gsub(/ /, "", type)
    if (!(name in present) && index($0, "(only while") > 0) next
    print "family", name, type
    labels = $4; gsub(/[ `]/, "", labels); n = split(labels, parts, ",")
    for (i = 1; i <= n; i++) if (parts[i] != "") print "label", name, parts[i]
  }' "$doc" | sort -u)

if [ "$from_scrape" != "$from_doc" ]; then
  echo "$doc and $url disagree (< exposition, > metrics.md):" >&2
  diff <(echo "$from_scrape") <(echo "$from_doc") >&2
  exit 1
fi
echo "$(grep -c '^family' <<<"$from_doc") families match $doc"
