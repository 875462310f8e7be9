#!/usr/bin/env bash
# The web UI end to end: `scripts/stack up` on private ports with an API token (the stack builds the UI and the
# exporter serves it at /), the exporter's UI routes checked with curl, then frontend/e2e/e2e.mjs drives Debian's
# headless Chromium through every page against the API's own answers, the simulator's injected burst and its detail.
# Screenshots: tests/artifacts/frontend/.
# Usage: frontend_e2e_test.sh BUILD_DIR PORT_BASE
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 PORT_BASE=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ARTIFACTS=${ARTIFACTS:-$REPO_ROOT/tests/artifacts/frontend}
[ -x "$CHROMIUM" ] || { echo "FAIL [$TEST_NAME]: $CHROMIUM not found (scripts/setup.sh installs chromium)" >&2; exit 1; }
private_stack "$PORT_BASE"
export API_TOKEN="e2e-$(random_password)"
# A viewer's token besides (README "Roles"): the exporter reads the tokens file from the environment.
VIEWER_TOKEN="viewer-$(random_password)"
printf 'tokens:\n  - {name: e2e-viewer, role: viewer, sha256: %s}\n' "$(printf %s "$VIEWER_TOKEN" | sha256sum | cut -d' ' -f1)" \
  >"$TEST_DIR/api-tokens.yaml"
export API_TOKENS_FILE=$TEST_DIR/api-tokens.yaml
# The simulated new-api displays CNY, and the exporter links to a new-api: the UI must follow both.
export SIM_DISPLAY_CURRENCY=CNY NEWAPI_URL=https://newapi.example.com

start=$(now_ms)
"$STACK" up >"$TEST_DIR/up.out" 2>&1; code=$?
check "scripts/stack up succeeds with the UI (took $(( $(now_ms) - start )) ms)" test "$code" = 0
[ "$code" = 0 ] || { cat "$TEST_DIR/up.out" >&2; finish; }
check "the stack built the web UI from these sources" bash -c "! grep -q 'web UI build failed' '$TEST_DIR/up.out'"
BASE=http://127.0.0.1:$STACK_EXPORTER_PORT

# What the exporter serves besides the API.
status_of() { curl -s -o "$TEST_DIR/body" -w '%{http_code} %{content_type}' "$BASE$1"; }
check "/ is the app's index.html" bash -c "[[ \"\$(curl -s '$BASE/')\" == *'<div id=\"root\">'* ]]"
check "an app path (/anomalies/detail?...) falls back to index.html" \
  bash -c "[[ \"\$(curl -s '$BASE/anomalies/detail?rule=burst&subject_type=token&subject_id=1')\" == *'<div id=\"root\">'* ]]"
check "a missing asset is a 404, not the app" bash -c "[[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$BASE/assets/missing.js')\" == 404 ]]"
check "an unknown /api path keeps its JSON 404" bash -c "[[ \"\$(curl -s '$BASE/api/nope')\" == *'\"code\":404'* ]]"
check "/metrics is still the exposition" bash -c "curl -s '$BASE/metrics' | grep -q '^newapi_exporter_db_up 1'"
check "/api/* without the token answers 401" bash -c "[[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$BASE/api/stats/top?start_ms=0&end_ms=60000')\" == 401 ]]"
asset=$(grep -o '/assets/index-[^"]*\.js' "$REPO_ROOT/frontend/dist/index.html" | head -1)
check "hashed assets are served with a long cache lifetime ($asset)" \
  bash -c "curl -s -D - -o /dev/null '$BASE$asset' | grep -qi '^cache-control: public, max-age=31536000, immutable'"

# The simulator's first burst, once all of its rows are in (it lasts about a minute).
burst_done() {
  local line; line=$(grep '"kind":"burst"' "$STACK_DIR/logs/injections.jsonl" 2>/dev/null | head -1)
  [ -n "$line" ] && [ "$(jq -r .end <<<"$line")" -lt $(( $(date +%s) - 2 )) ]
}
check "the simulator has injected a burst and finished it" wait_until 180 burst_done
BURST_TOKEN=$(grep '"kind":"burst"' "$STACK_DIR/logs/injections.jsonl" | head -1 | jq -r .subject_id)

start=$(now_ms)
(cd "$REPO_ROOT/frontend" && BASE_URL=$BASE API_TOKEN=$API_TOKEN VIEWER_TOKEN=$VIEWER_TOKEN BURST_TOKEN=$BURST_TOKEN ARTIFACTS=$ARTIFACTS \
   DISPLAY_CURRENCY=$SIM_DISPLAY_CURRENCY \
   CHROMIUM=$CHROMIUM node e2e/e2e.mjs); code=$?
check "the browser test passes (took $(( $(now_ms) - start )) ms; screenshots in tests/artifacts/frontend/)" test "$code" = 0
finish
