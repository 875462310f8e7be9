#!/usr/bin/env bash
# Hostile clients against the HTTP edges of the real exporter and aggregator on loopback (issue 15, findings 2 and 4
# and the HTTP parts of 11), each attack bounded in time and size:
#  - before auth: a 100 MB chunked body, a 100 MB body without a length, a 306 KB gzip bomb, a 200 MB header line,
#    a 200 MB request line, 13,000 headers of 8 KB: refused (4xx or the connection closed), the process alive, RSS
#    and its peak grow at most 32 MB per attack;
#  - 64 connections trickling a request head (and 16 trickling a POST body) while /metrics is scraped 20 times:
#    every scrape 200, p99 <= 200 ms; a trickling head is closed within the head deadline;
#  - the unread body of POST /-/reload is not answered as a second request; /-/reload refuses text/plain (a form)
#    and an Origin header (a web page) and still accepts `curl -X POST`;
#  - a symlink in UI_DIR that leads out of it is 404 (one inside it still works); /index.html%00.js is not
#    JavaScript; /api/health names no database server version; nosniff, a CSP with frame-ancestors 'none' and a
#    Referrer-Policy on the UI and on both binaries' answers, and the same in deploy/nginx.conf; keep-alive still
#    reuses connections.
# Usage: http_edge_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+2)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 DB_PORT=$2 EXPORTER=$(($2 + 1)) AGG=$(($2 + 2))
MAX_GROWTH_KB=$((32 * 1024))
SLOW_PID=""
make_test_dir
cleanup() {
  [ -z "$SLOW_PID" ] || kill "$SLOW_PID" 2>/dev/null
  for p in exporter agg; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  mariadb_stop "$TEST_DIR/db"; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

mariadb_start "$TEST_DIR/db" "$DB_PORT" || { fail "MariaDB did not start"; finish; }
mariadb_sql "$TEST_DIR/db" "CREATE DATABASE \`new-api\`"
mariadb --no-defaults --socket="$TEST_DIR/db/mariadb.sock" -uroot new-api <"$REPO_ROOT/schema/newapi-schema.sql"
create_observer_users "$TEST_DIR/db" ro-pass agg-pass

# A UI directory with a symlink out of it (to a secret beside it) and one within it.
UI=$TEST_DIR/ui
mkdir -p "$UI/assets"
echo '<!doctype html><div id="root"></div>' >"$UI/index.html"
echo 'console.log(1)' >"$UI/assets/app.js"
echo 'secret outside the UI' >"$TEST_DIR/secret.txt"
ln -s "$TEST_DIR/secret.txt" "$UI/escape.txt"
ln -s "$TEST_DIR" "$UI/escape-dir"
ln -s index.html "$UI/alias.html"

EDGE_TOKEN="edge-$(random_password)"
(export DB_PORT=$DB_PORT DB_PASS_RO=ro-pass API_PORT=$EXPORTER UI_DIR=$UI REDIS_URL= CACHE_TTL_SECONDS=0 \
   API_TOKEN="$EDGE_TOKEN"
 exec "$BUILD_DIR/exporter/newapi-exporter") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
(export DB_PORT=$DB_PORT DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$AGG ALERT_WEBHOOK_URL=http://127.0.0.1:9/webhook \
   RELAY_TOKEN="relay-$(random_password)"
 exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"
EXPORTER_PID=$(cat "$TEST_DIR/exporter.pid") AGG_PID=$(cat "$TEST_DIR/agg.pid")
for port in "$EXPORTER" "$AGG"; do
  wait_until 20 bash -c "curl -fsS http://127.0.0.1:$port/api/health | grep -q '\"ok\":true'" ||
    { fail "the service on $port did not become healthy"; tail -5 "$TEST_DIR"/*.log >&2; finish; }
done

memory_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status" 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null && curl -fsS --max-time 5 "http://127.0.0.1:$2/metrics" -o /dev/null; }
# raw PORT: sends stdin as is and prints the status of the first answer, 000 when there was none. After its input
# the client waits up to 15 s for the server, so the server reads (or refuses) everything that was sent.
raw() {
  local status
  status=$(timeout 30 socat -t 15 - "TCP:127.0.0.1:$1" 2>/dev/null | head -1 | tr -d '\r' | awk '{ print $2 }')
  echo "${status:-000}"
}
repeat() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# attack NAME PID PORT EXPECTED COMMAND...: runs COMMAND (which prints the answer's status) and checks that the status
# matches EXPECTED (a regex), that the process survived and that its RSS grew at most 32 MB: the most of VmRSS
# sampled every 50 ms during the attack, and the growth of the peak (VmHWM), against VmRSS before it.
attack() {
  local name=$1 pid=$2 port=$3 expected=$4; shift 4
  local rss0 hwm0 status rss1 hwm1 sampled growth start sampler
  rss0=$(memory_kb VmRSS "$pid") hwm0=$(memory_kb VmHWM "$pid") start=$(now_ms)
  echo "$rss0" >"$TEST_DIR/sampled"
  ( most=$rss0; while kill -0 "$pid" 2>/dev/null; do
      r=$(memory_kb VmRSS "$pid"); [ "${r:-0}" -gt "$most" ] && most=$r && echo "$most" >"$TEST_DIR/sampled"; sleep 0.05
    done ) &
  sampler=$!
  status=$("$@")
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  rss1=$(memory_kb VmRSS "$pid") hwm1=$(memory_kb VmHWM "$pid") sampled=$(cat "$TEST_DIR/sampled")
  growth=$(( (sampled > rss1 ? sampled : rss1) - rss0 ))
  [ $(( hwm1 - hwm0 )) -gt "$growth" ] && growth=$(( hwm1 - hwm0 ))
  check "$name: refused (expected $expected, got $status, $(( $(now_ms) - start )) ms)" \
    bash -c '[[ $1 =~ ^($2)$ ]]' _ "$status" "$expected"
  check "$name: still alive" alive "$pid" "$port"
  check "$name: RSS grew $(( growth / 1024 )) MB (limit 32; RSS $rss0 -> at most $sampled -> $rss1 kB, peak $hwm0 -> $hwm1 kB)" \
    test "$growth" -le "$MAX_GROWTH_KB" -a "${rss1:-0}" -gt 0
}

chunked() {  # PORT PATH: 100 MB as a chunked body
  repeat 100M ' ' | timeout 20 curl -s -o /dev/null -w '%{http_code}' --max-time 15 -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$1$2"
}
lengthless() {  # PORT PATH: 100 MB with neither Content-Length nor Transfer-Encoding, then the end of the stream
  { printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n' "$2"
    repeat 100M ' '; } | raw "$1"
}
gzip_bomb() {  # PORT PATH: 306 KB of gzip that inflate to 300 MB
  curl -s -o /dev/null -w '%{http_code}' --max-time 15 -H 'Content-Encoding: gzip' -H 'Content-Type: application/json' \
    --data-binary @"$TEST_DIR/bomb.gz" "http://127.0.0.1:$1$2"
}
long_header() { { printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: '; repeat 200M a; printf '\r\n\r\n'; } | raw "$1"; }
long_request_line() { { printf 'GET /'; repeat 200M a; printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } | raw "$1"; }
many_headers() { { printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n'; cat "$TEST_DIR/headers.txt"; printf '\r\n'; } | raw "$1"; }

head -c 300M /dev/zero | gzip -9 >"$TEST_DIR/bomb.gz"
# Each line under httplib's own 8 KB limit per header line, which answers a longer one 400 after reading it.
for i in $(seq 13000); do printf 'X-Header-%d: %08100d\r\n' "$i" 0; done >"$TEST_DIR/headers.txt"
echo "gzip bomb: $(stat -c %s "$TEST_DIR/bomb.gz") bytes; headers: $(stat -c %s "$TEST_DIR/headers.txt") bytes"

# Finding 2: memory before auth, on both binaries (a POST path of each; httplib reads a POST body before routing).
for target in "exporter $EXPORTER_PID $EXPORTER /api/health" "aggregator $AGG_PID $AGG /relay/webhook"; do
  read -r name pid port path <<<"$target"
  attack "$name, 100 MB chunked body" "$pid" "$port" '411|000' chunked "$port" "$path"
  attack "$name, 100 MB body without a length" "$pid" "$port" '411|000' lengthless "$port" "$path"
  attack "$name, 306 KB gzip bomb" "$pid" "$port" '415|000' gzip_bomb "$port" "$path"
  attack "$name, 200 MB header line" "$pid" "$port" '431|000' long_header "$port"
  attack "$name, 200 MB request line" "$pid" "$port" '431|414|000' long_request_line "$port"
  attack "$name, 13,000 headers of 8 KB" "$pid" "$port" '431|000' many_headers "$port"
done

# An unread body is not a request: the reload reads none, so its body (a whole GET, sent after the answer) must not be
# answered.
smuggled=$'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
answers=$({ printf 'POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' "${#smuggled}"; sleep 0.5
            printf '%s' "$smuggled"; sleep 1; } | timeout 10 socat -t 2 - "TCP:127.0.0.1:$EXPORTER" 2>/dev/null |
          grep -ao 'HTTP/1.1 [0-9]*' | wc -l)
check "a GET inside the unread body of POST /-/reload is not answered (answers: $answers, expected 1)" test "$answers" = 1

# Finding 4. slow_clients PORT COUNT PREFIX BYTES...: one process (PID in SLOW_PID) holding COUNT connections to PORT;
# it sends PREFIX on each at once, then one of BYTES on every connection every 2 s.
slow_clients() {
  local port=$1 count=$2 prefix=$3; shift 3
  ( trap '' PIPE; fds=()
    for i in $(seq "$count"); do exec {fd}<>"/dev/tcp/127.0.0.1/$port" && fds+=("$fd"); done
    for fd in "${fds[@]}"; do printf '%b' "$prefix" >&"$fd" 2>/dev/null; done
    for c in "$@"; do
      for fd in "${fds[@]}"; do printf '%s' "$c" >&"$fd" 2>/dev/null; done
      sleep 2
    done ) &
  SLOW_PID=$!
}
# scraped_beside NAME PORT WHAT: 20 scrapes of PORT's /metrics while the slow clients run; then stops them.
scraped_beside() {
  sleep 1
  for i in $(seq 20); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 2 "http://127.0.0.1:$2/metrics"
  done >"$TEST_DIR/scrapes"
  kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null; SLOW_PID=""
  local ok p99
  ok=$(grep -c '^200 ' "$TEST_DIR/scrapes") p99=$(awk '{ print $2 }' "$TEST_DIR/scrapes" | sort -n | tail -1)
  check "$1: 20 scrapes beside $3: $ok answered 200, p99 $p99 s (limit 0.2 s)" \
    awk -v ok="$ok" -v p="$p99" 'BEGIN { exit !(ok == 20 && p <= 0.2) }'
}
# 64 connections sending a request head a byte every 2 s, on both binaries.
for target in "exporter $EXPORTER" "aggregator $AGG"; do
  read -r name port <<<"$target"
  slow_clients "$port" 64 '' G E T ' ' / m e t r i c s
  scraped_beside "$name" "$port" "64 slow connections"
done
# 16 connections trickling a POST body to the relay: POST bodies have workers of their own.
slow_clients "$AGG" 16 'POST /relay/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n' \
  1 2 3 4 5 6 7 8 9
scraped_beside aggregator "$AGG" "16 trickled POST bodies"
# One connection trickling a byte a second (12 s for its head) is closed by the head deadline (5 s).
start=$(now_ms)
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$EXPORTER" || exit 0
  for c in G E T ' ' / m e t r i c s ' ' H; do printf '%s' "$c" >&3 2>/dev/null || exit 0; sleep 1; done ) &
SLOW_PID=$!; wait "$SLOW_PID"; SLOW_PID=""
elapsed=$(( $(now_ms) - start ))
check "a trickling head is cut off after ${elapsed} ms (deadline 5 s; limit 9 s)" test "$elapsed" -le 9000

# Finding 11, the HTTP parts.
reload() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$@" "http://127.0.0.1:$EXPORTER/-/reload"; }
status=$(reload -H 'Content-Type: text/plain' --data 'x')
check "POST /-/reload with text/plain (what a form can send) answers 415 (got $status)" test "$status" = 415
status=$(reload -H 'Origin: https://evil.example')
check "POST /-/reload with an Origin header (what a web page's fetch sends) answers 403 (got $status)" test "$status" = 403
status=$(reload)
check "POST /-/reload without the admin's token answers 401 (got $status)" test "$status" = 401
status=$(reload -H "Authorization: Bearer $EDGE_TOKEN")
check "curl -X POST /-/reload with it still answers 200 (got $status)" test "$status" = 200

get() { curl -s -o "$TEST_DIR/body" -D "$TEST_DIR/headers" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2"; }
status=$(get "$EXPORTER" /escape.txt)
check "a symlink out of UI_DIR is 404 (got $status)" bash -c '[ "$1" = 404 ] && ! grep -q secret "$2"' _ "$status" "$TEST_DIR/body"
status=$(get "$EXPORTER" /escape-dir/secret.txt)
check "a file under a directory symlink out of UI_DIR is 404 (got $status)" \
  bash -c '[ "$1" = 404 ] && ! grep -q secret "$2"' _ "$status" "$TEST_DIR/body"
status=$(get "$EXPORTER" /alias.html)
check "a symlink within UI_DIR is still served (got $status)" bash -c '[ "$1" = 200 ] && grep -q root "$2"' _ "$status" "$TEST_DIR/body"
status=$(get "$EXPORTER" /index.html%00.js)
type=$(awk -F': ' 'tolower($1) == "content-type" { print $2 }' "$TEST_DIR/headers" | tr -d '\r')
check "/index.html%00.js is not served as JavaScript (got $status, ${type:-no type})" \
  bash -c '[ "$1" = 404 ] || ! grep -qi javascript <<<"$2"' _ "$status" "$type"
status=$(get "$EXPORTER" /assets/app.js)
check "a real asset is still served (got $status)" test "$status" = 200

for target in "exporter $EXPORTER /" "exporter $EXPORTER /api/health" "aggregator $AGG /api/health"; do
  read -r name port path <<<"$target"
  get "$port" "$path" >/dev/null
  for header in "X-Content-Type-Options: nosniff" "Content-Security-Policy: .*frame-ancestors 'none'" \
                "Content-Security-Policy: .*style-src 'self' 'unsafe-inline'" "Referrer-Policy: "; do
    check "$name $path sends $header" grep -qi "^$header" "$TEST_DIR/headers"
  done
done
# deploy/nginx.conf sends the exporter's values for the files it serves itself (in both of its file locations).
get "$EXPORTER" / >/dev/null
for name in X-Content-Type-Options Content-Security-Policy Referrer-Policy; do
  value=$(awk -v n="$name" 'BEGIN { FS = ": " } tolower($1) == tolower(n) { print $2 }' "$TEST_DIR/headers" | tr -d '\r')
  count=$(grep -cF "add_header $name \"$value\" always;" "$REPO_ROOT/deploy/nginx.conf")
  check "deploy/nginx.conf sends the exporter's $name in both of its file locations (found $count)" test "$count" = 2
done
for target in "exporter $EXPORTER" "aggregator $AGG"; do
  read -r name port <<<"$target"
  health=$(curl -s --max-time 5 "http://127.0.0.1:$port/api/health")
  check "$name /api/health is up and names no database server ($health)" \
    bash -c 'jq -e ".ok == true and (has(\"db_server\") | not)" <<<"$1" >/dev/null' _ "$health"
done
reused=$(curl -sv --max-time 5 "http://127.0.0.1:$EXPORTER/metrics" "http://127.0.0.1:$EXPORTER/api/health" 2>&1 >/dev/null |
         grep -c 'Re-using existing connection')
check "keep-alive still reuses a connection (reused $reused time)" test "$reused" = 1
check "the exporter is alive at the end" alive "$EXPORTER_PID" "$EXPORTER"
check "the aggregator is alive at the end" alive "$AGG_PID" "$AGG"
finish
