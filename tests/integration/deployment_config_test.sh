#!/usr/bin/env bash
# The compose deployment, checked without a Docker engine: `docker-compose config` accepts docker-compose.yml with
# .env.example (production and the demo profile), nginx accepts deploy/nginx.conf, every variable the binaries read
# is in .env.example and every variable there is read by a binary or by the compose files, and every COPY source of
# the Dockerfiles exists.
# Usage: deployment_config_test.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1
make_test_dir
trap '[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT

# Compose: a copy of the project with .env.example as .env.
cp "$REPO_ROOT/docker-compose.yml" "$TEST_DIR/" && cp "$REPO_ROOT/.env.example" "$TEST_DIR/.env"
compose() { (cd "$TEST_DIR" && docker-compose "$@"); }
check "docker-compose config accepts docker-compose.yml with .env.example" compose config -q
services=$(compose config --services | sort | tr '\n' ' ')
check "all services: $services" \
  test "$services" = "aggregator alertmanager exporter frontend grafana mysql prometheus redis simulator "
demo_only=$(compose config | awk '/^  [a-z]+:$/ { name = $1 } /^    profiles:/ { print name }' | tr -d ':' | sort | tr '\n' ' ')
check "only MySQL and the simulator are in the demo profile: $demo_only" test "$demo_only" = "mysql simulator "
grep -v '^GRAFANA_ADMIN_PASSWORD=' "$REPO_ROOT/.env.example" >"$TEST_DIR/.env"
refused() { local out; out=$(cd "$TEST_DIR" && docker-compose config -q 2>&1) && return 1; grep -q GRAFANA_ADMIN_PASSWORD <<<"$out"; }
check "a missing GRAFANA_ADMIN_PASSWORD is refused, naming it" refused

# nginx: the frontend's server block inside a minimal main config.
cat >"$TEST_DIR/nginx.conf" <<NGINX
pid $TEST_DIR/nginx.pid;
error_log $TEST_DIR/nginx-error.log;
events {}
http {
  client_body_temp_path $TEST_DIR; proxy_temp_path $TEST_DIR; fastcgi_temp_path $TEST_DIR;
  uwsgi_temp_path $TEST_DIR; scgi_temp_path $TEST_DIR;
  include $REPO_ROOT/deploy/nginx.conf;
}
NGINX
check "nginx -t accepts deploy/nginx.conf" nginx -q -t -c "$TEST_DIR/nginx.conf" -e "$TEST_DIR/nginx-error.log"

# Variables: what the binaries read (their --help) against .env.example, both ways.
read_by_binaries() {
  for b in exporter/newapi-exporter aggregator/newapi-aggregator; do
    "$BUILD_DIR/$b" --help | awk '/^  / { for (i = 1; i <= NF; i++) if ($i ~ /^[A-Z][A-Z0-9_]+$/) { print $i; break } }'
  done | sort -u
}
documented=$(grep -oE '^(# )?[A-Z][A-Z0-9_]+=' "$REPO_ROOT/.env.example" | sed -E 's/^# //; s/=$//' | sort -u)
used_by_compose=$(cat "$REPO_ROOT/docker-compose.yml" "$REPO_ROOT"/grafana/provisioning/*/*.yml |
  grep -oE '\$\{[A-Z][A-Z0-9_]+' | sed 's/^\${//' | sort -u)
undocumented=$(comm -23 <(read_by_binaries) <(echo "$documented"))
check "every variable the binaries read is in .env.example${undocumented:+ (missing: $(echo $undocumented))}" \
  test -z "$undocumented"
unknown=$(comm -23 <(echo "$documented") <( (read_by_binaries; echo "$used_by_compose") | sort -u))
check "every variable in .env.example is read by a binary or the compose files${unknown:+ (unknown: $(echo $unknown))}" \
  test -z "$unknown"

# Dockerfiles: every COPY source (outside --from stages) exists.
missing=""
for f in "$REPO_ROOT/Dockerfile" "$REPO_ROOT/deploy/frontend.Dockerfile"; do
  while read -r src; do
    [ -e "$REPO_ROOT/$src" ] || missing="$missing $src"
  done < <(grep -E '^COPY ' "$f" | grep -v -- '--from=' | awk '{ for (i = 2; i < NF; i++) print $i }')
done
check "every COPY source of the Dockerfiles exists${missing:+ (missing:$missing)}" test -z "$missing"
finish
