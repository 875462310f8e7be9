#!/usr/bin/env bash
# Installs the Debian packages newapi-observer needs to build, run its native stack and test; idempotent: only
# what is missing is installed, and nothing at all when everything is there.
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ make pkg-config git
  clang-format  # format_test checks the C++ against .clang-format
  prometheus-cpp-dev libcpp-httplib-dev libmariadb-dev nlohmann-json3-dev libgtest-dev libyaml-cpp-dev libhiredis-dev
  libpq-dev  # PostgreSQL client (libpq): new-api's default database
  # native stack and tests
  mariadb-server mariadb-client redis-server curl procps
  postgresql-15 postgresql-client-15  # the PostgreSQL stack and tests run their own cluster (initdb, pg_ctl), never the system one
  prometheus prometheus-alertmanager jq  # Prometheus, Alertmanager, promtool and amtool; jq for the config tests
  python3 python3-yaml  # mixin/generate.py writes the rules and Prometheus dashboards; dashboard_metrics_test runs it
  nginx-light docker-compose  # the compose deployment checked without a Docker engine (nginx -t, docker-compose config)
  libssl-dev ca-certificates  # the chat relay: HMAC signatures, HTTPS to the robots with the system's CAs; TLS of --web.config.file
  libcrypt-dev  # bcrypt of the web config's basic_auth_users (libxcrypt); python3 makes hashes in web_config_test
  tzdata libabsl-dev  # the JSON API's time zones (/usr/share/zoneinfo, read with abseil)
  chromium  # the web UI's end-to-end test drives Debian's headless Chromium
  fonts-noto-cjk  # Chinese glyphs in the browser (the UI's zh texts; the e2e test fails on missing-glyph boxes)
)
# The web UI is built with Node.js (Debian 12: 18) and npm; a Node.js installed otherwise (NodeSource's bundles npm) is
# kept.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "[setup] installing: ${missing[*]}" >&2
# Debian's service scripts would start the system MariaDB and Redis; the stack runs its own private ones.
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
