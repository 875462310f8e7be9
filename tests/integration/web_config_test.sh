#!/usr/bin/env bash
# The Prometheus-style web flags of both real binaries on loopback:
#  - two --web.listen-address each (the port setting then unused), a custom --web.telemetry-path (/metrics is then
#    404), a landing page at / linking to it;
#  - --web.config.file with TLS (a self-signed certificate made here by openssl req) and bcrypt basic auth: right
#    password 200, wrong password and unknown user 401 alike with WWW-Authenticate: Basic, none 401, plain HTTP on the
#    TLS port never answered, the head and body guards still answer 431/411, stalled handshakes hold no worker and
#    close at the head deadline; the aggregator's relay
#    delivers to the chat sink with the basic auth alone;
#  - a real Prometheus scraping the exporter over https with basic_auth (prometheus.yml scheme, tls_config,
#    basic_auth);
#  - refusals at start-up (exit 2, naming the key): an unknown key, a plain-text password, a bearer token beside
#    basic_auth_users.
# No database is needed: both binaries serve while their database is unreachable.
# Usage: web_config_test.sh BUILD_DIR PORT_BASE (uses PORT_BASE .. PORT_BASE+7)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1 NO_DB=$2 EXPORTER_A=$(($2 + 1)) EXPORTER_B=$(($2 + 2)) AGG_A=$(($2 + 3)) AGG_B=$(($2 + 4))
SINK=$(($2 + 5)) PROMETHEUS=$(($2 + 6)) UNUSED_PORT=$(($2 + 7))
make_test_dir
cleanup() {
  for p in exporter agg sink; do stop_pidfile "$TEST_DIR/$p.pid" 10; done
  stop_pidfile "$TEST_DIR/prometheus/server.pid" 30
  [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

# The certificate, the users and the web config file, its certificate named relative to the file as operators do.
mkdir -p "$TEST_DIR/web/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$TEST_DIR/web/tls/server.key" -out "$TEST_DIR/web/tls/server.crt" 2>/dev/null ||
  { fail "openssl req could not make a certificate"; finish; }
PASSWORD=$(random_password)
bcrypt() { python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' "$1"; }
cat >"$TEST_DIR/web/web.yml" <<EOF
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
basic_auth_users:
  prometheus: '$(bcrypt "$PASSWORD")'
  alertmanager: '$(bcrypt "other-$PASSWORD")'
EOF
CA=$TEST_DIR/web/tls/server.crt

start_background "$TEST_DIR/sink.pid" "$TEST_DIR/sink.out" "$BUILD_DIR/tests/relay_sink" "$SINK" "$TEST_DIR/sink.jsonl" 0
# API_PORT and AGGREGATOR_PORT name a port that must stay unused: --web.listen-address replaces them.
(export DB_PORT=$NO_DB DB_PASS_RO=ro-pass API_PORT=$UNUSED_PORT REDIS_URL= API_AUTH=token
 exec "$BUILD_DIR/exporter/newapi-exporter" --web.listen-address=127.0.0.1:$EXPORTER_A \
   --web.listen-address=127.0.0.1:$EXPORTER_B --web.telemetry-path=/observer/metrics \
   --web.config.file="$TEST_DIR/web/web.yml") >"$TEST_DIR/exporter.log" 2>&1 &
echo $! >"$TEST_DIR/exporter.pid"
(export DB_PORT=$NO_DB DB_PASS_AGG=agg-pass AGGREGATOR_PORT=$UNUSED_PORT ALERT_WEBHOOK_URL="http://127.0.0.1:$SINK/webhook"
 export AGGREGATOR_LISTEN_ADDRESS="127.0.0.1:$AGG_A, 127.0.0.1:$AGG_B" AGGREGATOR_TELEMETRY_PATH=/agg-metrics \
   AGGREGATOR_WEB_CONFIG_FILE="$TEST_DIR/web/web.yml"
 exec "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/agg.log" 2>&1 &
echo $! >"$TEST_DIR/agg.pid"

# status URL [CURL_ARGS...]: the HTTP status over https with the test's CA (000 when nothing answered).
status() { local url=$1; shift; curl -s -o "$TEST_DIR/answer" -D "$TEST_DIR/headers" -w '%{http_code}' --max-time 10 --cacert "$CA" "$@" "$url"; }
RIGHT=(-u "prometheus:$PASSWORD")
for port in "$EXPORTER_A" "$EXPORTER_B" "$AGG_A" "$AGG_B"; do
  wait_until 20 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CA' https://127.0.0.1:$port/)\" = 401 ]" ||
    { fail "nothing answers https on $port"; tail -5 "$TEST_DIR"/*.log >&2; finish; }
done

for target in "exporter $EXPORTER_A /observer/metrics newapi_exporter_build_info" \
              "exporter $EXPORTER_B /observer/metrics newapi_exporter_build_info" \
              "aggregator $AGG_A /agg-metrics newapi_aggregator_build_info" \
              "aggregator $AGG_B /agg-metrics newapi_aggregator_build_info"; do
  read -r name port path family <<<"$target"
  base=https://127.0.0.1:$port
  code=$(status "$base$path" "${RIGHT[@]}")
  check "$name on $port: $path with the right password answers 200 (got $code)" \
    bash -c '[ "$1" = 200 ] && grep -q "^$2" "$3"' _ "$code" "$family" "$TEST_DIR/answer"
  code=$(status "$base$path" -u "prometheus:wrong-$PASSWORD"); wrong_body=$(cat "$TEST_DIR/answer")
  check "$name on $port: a wrong password answers 401 with WWW-Authenticate: Basic (got $code)" \
    bash -c '[ "$1" = 401 ] && grep -qi "^WWW-Authenticate: Basic" "$2"' _ "$code" "$TEST_DIR/headers"
  code=$(status "$base$path" -u "nobody:$PASSWORD")
  check "$name on $port: an unknown user gets the same 401 (got $code)" \
    bash -c '[ "$1" = 401 ] && [ "$2" = "$(cat "$3")" ]' _ "$code" "$wrong_body" "$TEST_DIR/answer"
  code=$(status "$base$path")
  check "$name on $port: no credentials answer 401 (got $code)" test "$code" = 401
  code=$(status "$base/metrics" "${RIGHT[@]}")
  check "$name on $port: /metrics is not the telemetry path any more: 404 (got $code)" test "$code" = 404
  code=$(status "$base/" "${RIGHT[@]}")
  check "$name on $port: the landing page names newapi-$name and links to $path (got $code)" \
    bash -c '[ "$1" = 200 ] && grep -q "newapi-$2" "$3" && grep -q "href=\"$4\"" "$3"' _ "$code" "$name" "$TEST_DIR/answer" "$path"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$path" -u "prometheus:$PASSWORD")
  check "$name on $port: plain HTTP on the TLS port gets no answer (got $code)" test "$code" = 000
done
check "the port setting is not listened on when listen addresses are given" \
  bash -c '! exec 3<>/dev/tcp/127.0.0.1/$1' _ "$UNUSED_PORT" 2>/dev/null
code=$(status "https://127.0.0.1:$EXPORTER_A/api/health" -u "alertmanager:other-$PASSWORD")
check "the second user's password opens the API too (got $code)" test "$code" = 200

big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(status "https://127.0.0.1:$EXPORTER_A/api/health" "${RIGHT[@]}" -H "X-Big: $big")
check "over TLS a 20 KB request head is still refused with 431 (got $code)" test "$code" = 431
code=$(status "https://127.0.0.1:$EXPORTER_A/-/reload" "${RIGHT[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$CA")
check "over TLS a chunked body is still refused with 411 (got $code)" test "$code" = 411

# TLS keeps the edge's guards: 64 clients that stall their handshake (half a record header) hold no worker, the
# scrapes beside them answer at once, and the stalled connections are closed at the head deadline (5 s).
python3 - "$EXPORTER_A" >"$TEST_DIR/stalled.out" 2>&1 <<'EOF' &
import socket, sys, time
sockets = []
for _ in range(64):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"\x16\x03")
    sockets.append(s)
start, closed = time.time(), 0
for s in sockets:
    s.settimeout(max(0.1, 9 - (time.time() - start)))
    try:
        closed += s.recv(1) == b""
    except ConnectionResetError:
        closed += 1
    except OSError:
        pass
print(closed, round(time.time() - start, 1))
EOF
STALLED_PID=$!
sleep 1
slowest=0 failed=0
for _ in $(seq 20); do
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 --cacert "$CA" "${RIGHT[@]}" \
    "https://127.0.0.1:$EXPORTER_A/observer/metrics")
  [ "${out% *}" = 200 ] || failed=$((failed + 1))
  slowest=$(awk -v a="$slowest" -v b="${out#* }" 'BEGIN { print (b > a ? b : a) }')
done
check "20 https scrapes beside 64 stalled handshakes: all 200 ($failed failed), the slowest ${slowest}s (limit 1.5 s)" \
  bash -c '[ "$1" = 0 ] && awk -v s="$2" "BEGIN { exit !(s < 1.5) }"' _ "$failed" "$slowest"
wait "$STALLED_PID"
read -r closed took <"$TEST_DIR/stalled.out"
check "the 64 stalled handshakes were closed at the head deadline ($closed closed, after ${took:-?} s)" \
  bash -c '[ "$1" = 64 ] && awk -v t="$2" "BEGIN { exit !(t < 8) }"' _ "$closed" "$took"

# The relay: Alertmanager's basic auth alone (no RELAY_TOKEN) delivers to the chat target.
cat >"$TEST_DIR/alert.json" <<'EOF'
{"version":"4","status":"firing","receiver":"chat","groupLabels":{"alertname":"WebConfigTest"},
 "alerts":[{"status":"firing","labels":{"alertname":"WebConfigTest","severity":"warning"},
 "annotations":{"summary":"relayed over TLS with basic auth"},"startsAt":"2026-12-03T00:00:00Z"}]}
EOF
code=$(status "https://127.0.0.1:$AGG_A/relay/webhook" -H 'Content-Type: application/json' --data-binary @"$TEST_DIR/alert.json")
check "the relay without credentials answers 401 (got $code)" test "$code" = 401
code=$(status "https://127.0.0.1:$AGG_A/relay/webhook" -u "alertmanager:other-$PASSWORD" \
  -H 'Content-Type: application/json' --data-binary @"$TEST_DIR/alert.json")
check "the relay with basic auth answers 200 (got $code: $(head -c 200 "$TEST_DIR/answer"))" test "$code" = 200
check "  ... and the alert reached the chat sink" \
  wait_until 10 grep -q "relayed over TLS with basic auth" "$TEST_DIR/sink.jsonl"

# A real Prometheus scraping the exporter over https with basic auth.
mkdir -p "$TEST_DIR/prometheus/data"
(umask 077; printf '%s' "$PASSWORD" >"$TEST_DIR/prometheus/password")
cat >"$TEST_DIR/prometheus/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: exporter-tls
    scheme: https
    metrics_path: /observer/metrics
    tls_config:
      ca_file: $CA
    basic_auth:
      username: prometheus
      password_file: password
    static_configs:
      - targets: ['127.0.0.1:$EXPORTER_A', '127.0.0.1:$EXPORTER_B']
EOF
prometheus --config.file="$TEST_DIR/prometheus/prometheus.yml" --storage.tsdb.path="$TEST_DIR/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS" </dev/null >"$TEST_DIR/prometheus.log" 2>&1 &
echo $! >"$TEST_DIR/prometheus/server.pid"
scraped() {
  curl -fsS "http://127.0.0.1:$PROMETHEUS/api/v1/query" \
    --data-urlencode 'query=count(up{job="exporter-tls"} == 1) and count(newapi_exporter_build_info) == 2' |
    jq -e '.data.result | length == 1' >/dev/null
}
check "Prometheus scrapes both exporter addresses over https with basic_auth" wait_until 30 scraped
scraped || curl -fsS "http://127.0.0.1:$PROMETHEUS/api/v1/targets" | jq -c '.data.activeTargets[] | {scrapeUrl, lastError}' >&2

# Start-up refusals: exit 2 with the key named.
# refused NAME EXPECTED_TEXT ENV...: the exporter (with this environment) exits 2 and prints EXPECTED_TEXT.
refused() {
  local name=$1 expected=$2; shift 2
  (export DB_PORT=$NO_DB DB_PASS_RO=ro-pass API_PORT=0 REDIS_URL= "$@"; exec timeout 5 "$BUILD_DIR/exporter/newapi-exporter") \
    >"$TEST_DIR/refused.log" 2>&1
  local code=$?
  check "$name: exit 2 naming '$expected' (got $code: $(head -c 300 "$TEST_DIR/refused.log"))" \
    bash -c '[ "$1" = 2 ] && grep -qF -- "$2" "$3"' _ "$code" "$expected" "$TEST_DIR/refused.log"
}
printf 'tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n  cipher_suite: [x]\n' >"$TEST_DIR/web/typo.yml"
refused "an unknown key" "unknown key tls_server_config.cipher_suite" API_WEB_CONFIG_FILE="$TEST_DIR/web/typo.yml"
printf 'basic_auth_users:\n  prometheus: %s\n' "$PASSWORD" >"$TEST_DIR/web/plain.yml"
refused "a plain-text password" "basic_auth_users.prometheus is not a bcrypt hash" API_WEB_CONFIG_FILE="$TEST_DIR/web/plain.yml"
check "  ... and the password is not printed" bash -c '! grep -qF "$1" "$2"' _ "$PASSWORD" "$TEST_DIR/refused.log"
printf 'tls_server_config:\n  cert_file: tls/missing.crt\n  key_file: tls/server.key\n' >"$TEST_DIR/web/missing.yml"
refused "a missing certificate" "tls_server_config.cert_file '$TEST_DIR/web/tls/missing.crt'" \
  API_WEB_CONFIG_FILE="$TEST_DIR/web/missing.yml"
refused "METRICS_TOKEN beside basic auth" "METRICS_TOKEN cannot be combined with basic_auth_users" \
  API_WEB_CONFIG_FILE="$TEST_DIR/web/web.yml" METRICS_TOKEN="metrics-$(random_password)"
(export DB_PORT=$NO_DB DB_PASS_AGG=agg-pass AGGREGATOR_PORT=0 AGGREGATOR_WEB_CONFIG_FILE="$TEST_DIR/web/web.yml" \
   RELAY_TOKEN="relay-$(random_password)"; exec timeout 5 "$BUILD_DIR/aggregator/newapi-aggregator") >"$TEST_DIR/refused.log" 2>&1
code=$?
check "the aggregator with RELAY_TOKEN beside basic auth: exit 2 naming RELAY_TOKEN (got $code)" \
  bash -c '[ "$1" = 2 ] && grep -q "RELAY_TOKEN cannot be combined with basic_auth_users" "$2"' _ "$code" "$TEST_DIR/refused.log"

check "both binaries are alive at the end" bash -c 'kill -0 "$(cat "$1")" && kill -0 "$(cat "$2")"' _ \
  "$TEST_DIR/exporter.pid" "$TEST_DIR/agg.pid"
finish
