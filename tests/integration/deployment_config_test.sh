#!/usr/bin/env bash
# The compose deployment, checked without a Docker engine: `docker-compose config` accepts docker-compose.yml with
# .env.example (production and both demo profiles), Grafana gets the datasource and SQL dashboards of DB_TYPE's engine
# (mysql by default, postgres), every file it mounts exists, nginx accepts deploy/nginx.conf, every variable the
# binaries read is in .env.example and every variable there is read by a binary or by the compose files, and every
# COPY source of the Dockerfiles exists.
# Usage: deployment_config_test.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$1
make_test_dir
trap '[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT

# Compose: a copy of the project with .env.example as .env (whose COMPOSE_FILE adds new-api's network).
mkdir -p "$TEST_DIR/deploy" && cp "$REPO_ROOT/docker-compose.yml" "$TEST_DIR/" &&
  cp "$REPO_ROOT/deploy/compose.new-api-network.yml" "$TEST_DIR/deploy/" && cp "$REPO_ROOT/.env.example" "$TEST_DIR/.env"
compose() { (cd "$TEST_DIR" && docker-compose "$@"); }
check "docker-compose config accepts docker-compose.yml with .env.example" compose config -q
services=$(compose config --services | sort | tr '\n' ' ')
check "all services: $services" test "$services" = \
  "aggregator alertmanager exporter frontend grafana mysql postgres prometheus redis simulator simulator-postgres "
# service:profile for every service in a profile.
profiled=$(compose config | awk '/^  [a-z-]+:$/ { name = $1 } /^    profiles:/ { p = 1; next } p && /^    - / { print name $2 }
                                 !/^    - / { p = 0 }' | sort | tr '\n' ' ')
check "only the demo databases and simulators are in profiles: $profiled" test "$profiled" = \
  "mysql:demo postgres:demo-postgres simulator-postgres:demo-postgres simulator:demo "

# Grafana: Prometheus always, the database datasource and the SQL dashboards of DB_TYPE; every mounted file exists.
# grafana_mounts: the sources of Grafana's bind mounts, relative to the project, one a line.
grafana_mounts() {
  compose config | awk '/^  grafana:$/ { g = 1; next } /^  [a-z-]+:$/ { g = 0 }
                        g && /^    - \// { split($2, m, ":"); print m[1] }' | sed "s|^$TEST_DIR/||"
}
mounts_exist() { local m; for m in $1; do [ -e "$REPO_ROOT/$m" ] || return 1; done; }
for engine in mysql postgres; do
  sed "s/^DB_TYPE=.*/DB_TYPE=$engine/" "$REPO_ROOT/.env.example" >"$TEST_DIR/.env"
  mounts=$(grafana_mounts | sort | tr '\n' ' ')
  check "DB_TYPE=${engine}: Grafana mounts $mounts" test "$mounts" = "grafana/dashboards grafana/dashboards-$engine \
grafana/provisioning/dashboards grafana/provisioning/datasources/$engine.yml \
grafana/provisioning/datasources/prometheus.yml "
  check "DB_TYPE=${engine}: every file Grafana mounts exists" mounts_exist "$mounts"
done
grep -v '^GRAFANA_ADMIN_PASSWORD=' "$REPO_ROOT/.env.example" >"$TEST_DIR/.env"
refused() { local out; out=$(cd "$TEST_DIR" && docker-compose config -q 2>&1) && return 1; grep -q GRAFANA_ADMIN_PASSWORD <<<"$out"; }
check "a missing GRAFANA_ADMIN_PASSWORD is refused, naming it" refused

# Secrets per service (issue 15, findings 5, 9, 10 and 11): no env_file, each service only its own secrets, every
# setting a binary reads still reaches its service, a memory limit everywhere, Redis with a password, Alertmanager
# with the relay's token, Grafana and the frontend on loopback unless told otherwise.
cp "$REPO_ROOT/.env.example" "$TEST_DIR/.env"
compose config >"$TEST_DIR/config.yml"
binary_variables() { "$BUILD_DIR/$1" --help | awk '/^  / { for (i = 1; i <= NF; i++) if ($i ~ /^[A-Z][A-Z0-9_]+$/) { print $i; break } }'; }
binary_variables exporter/newapi-exporter >"$TEST_DIR/exporter.vars"
binary_variables aggregator/newapi-aggregator >"$TEST_DIR/aggregator.vars"
problems=$(TEST_DIR=$TEST_DIR python3 - <<'PY'
import os, yaml
d = os.environ["TEST_DIR"]
services = yaml.safe_load(open(d + "/config.yml"))["services"]
owners = {  # secret -> the services that may see it
    "DB_PASS_RO": {"exporter", "simulator", "simulator-postgres"}, "DB_DSN_RO": {"exporter"}, "API_TOKEN": {"exporter"},
    "LOG_DSN_RO": {"exporter"}, "LOG_DSN_AGG": {"aggregator"},
    "DB_PASS_AGG": {"aggregator", "simulator", "simulator-postgres"}, "DB_DSN_AGG": {"aggregator"},
    "RELAY_TOKEN": {"aggregator", "alertmanager", "exporter"}, "EXPORTER_RELAY_TOKEN": {"exporter"}, "DINGTALK_WEBHOOK_URL": {"aggregator"}, "DINGTALK_SECRET": {"aggregator"},
    "FEISHU_WEBHOOK_URL": {"aggregator"}, "FEISHU_SECRET": {"aggregator"}, "WECOM_WEBHOOK_URL": {"aggregator"},
    "ALERT_WEBHOOK_URL": {"aggregator"}, "REDIS_PASSWORD": {"redis"}, "GRAFANA_DB_PASSWORD": {"grafana", "simulator", "simulator-postgres"},
    "GF_SECURITY_ADMIN_PASSWORD": {"grafana"}, "GRAFANA_ADMIN_PASSWORD": set(),
}
out = []
for name, svc in services.items():
    env = svc.get("environment") or {}
    if "env_file" in svc: out.append(f"{name} has env_file")
    if "mem_limit" not in svc: out.append(f"{name} has no mem_limit")
    for var in env:
        if var in owners and name not in owners[var]: out.append(f"{name} gets {var}")
for binary in ("exporter", "aggregator"):
    env = services[binary].get("environment") or {}
    for var in open(f"{d}/{binary}.vars").read().split():
        if var not in env: out.append(f"{binary} does not get {var}")
if "--requirepass" not in " ".join(services["redis"]["command"]): out.append("redis has no requirepass")
if ":change-me-redis@observer-redis:" not in services["exporter"]["environment"]["REDIS_URL"]: out.append("REDIS_URL lacks REDIS_PASSWORD")
if "/run/relay" not in (services["alertmanager"].get("tmpfs") or []): out.append("alertmanager has no /run/relay")
for name in ("grafana", "frontend"):
    for port in services[name].get("ports", []):
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
        if host_ip != "127.0.0.1": out.append(f"{name} publishes on {host_ip or 'every interface'}")
print("\n".join(out))
PY
)
# Next to new-api's compose (issue 16): the services that read its database join its network (external, named by
# NEWAPI_NETWORK); nothing else does; Redis answers under a name new-api's network does not have; no host port 3000.
network_problems=$(python3 - "$TEST_DIR/config.yml" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
out = []
net = (config.get("networks") or {}).get("new-api") or {}
if not net.get("external") or net.get("name") != "new-api_new-api-network": out.append(f"new-api network is {net}")
for name, svc in config["services"].items():
    joined = "new-api" in (svc.get("networks") or {})
    if joined != (name in ("exporter", "aggregator", "grafana")): out.append(f"{name} joined={joined}")
    for port in svc.get("ports", []):
        published = str(port.get("published")) if isinstance(port, dict) else str(port).rsplit(":", 2)[-2]
        if published == "3000": out.append(f"{name} publishes 3000")
aliases = ((config["services"]["redis"].get("networks") or {}).get("default") or {}).get("aliases") or []
if "observer-redis" not in aliases: out.append("redis is not observer-redis")
print("\n".join(out))
PY
)
check "exporter, aggregator and Grafana join new-api's network; Redis is observer-redis; no port 3000${network_problems:+ ($(echo $network_problems))}" \
  test -z "$network_problems"
check "each compose service gets only its own secrets, a mem_limit, and every setting its binary reads${problems:+ ($(echo $problems | tr '\n' ';'))}" \
  test -z "$problems"
no_token=$(python3 -c '
import sys, yaml
for r in yaml.safe_load(open(sys.argv[1]))["receivers"]:
    for w in r.get("webhook_configs", []):
        if w.get("http_config", {}).get("authorization", {}).get("credentials_file") != "/run/relay/token": print(w["url"])
' "$REPO_ROOT/alertmanager/alertmanager.yml" | sort -u)
check "every relay webhook in alertmanager.yml sends RELAY_TOKEN${no_token:+ (not: $(echo $no_token))}" test -z "$no_token"

# scripts/compose-setup: a .env with random secrets (production and demo), and the accounts SQL with its passwords.
SETUP=$REPO_ROOT/scripts/compose-setup
mkdir -p "$TEST_DIR/env" && cp "$TEST_DIR/docker-compose.yml" "$TEST_DIR/env/" && cp -r "$TEST_DIR/deploy" "$TEST_DIR/env/"
in_env() { (cd "$TEST_DIR/env" && "$@"); }
in_env "$SETUP" env 2>/dev/null
secrets=$(grep -E '^(DB_PASS_RO|DB_PASS_AGG|REDIS_PASSWORD|API_TOKEN|RELAY_TOKEN|GRAFANA_DB_PASSWORD|GRAFANA_ADMIN_PASSWORD)=' \
            "$TEST_DIR/env/.env" | cut -d= -f2 | grep -E '^[0-9a-f]{48}$' | sort -u | wc -l)
check "compose-setup env: seven distinct random secrets ($secrets), no change-me value left" \
  test "$secrets" = 7 -a -z "$(grep -E '^[A-Z_]+=change-me' "$TEST_DIR/env/.env")"
check "compose-setup env: docker-compose accepts the .env it writes" in_env docker-compose config -q
refuses_existing() { local out; out=$(in_env "$SETUP" env 2>&1) && return 1; grep -q '.env exists' <<<"$out"; }
check "compose-setup env: refuses to overwrite an existing .env" refuses_existing
password() { grep "^$1=" "$TEST_DIR/env/.env" | cut -d= -f2; }
accounts=$(in_env "$SETUP" accounts)
check "compose-setup accounts: PostgreSQL's grants with .env's three passwords, no placeholder left" \
  test -n "$(grep -F "PASSWORD '$(password DB_PASS_RO)'" <<<"$accounts")" \
    -a -n "$(grep -F "PASSWORD '$(password DB_PASS_AGG)'" <<<"$accounts")" \
    -a -n "$(grep -F "PASSWORD '$(password GRAFANA_DB_PASSWORD)'" <<<"$accounts")" \
    -a -n "$(grep -F 'ALTER ROLE newapi_ro' <<<"$accounts")" -a -z "$(grep -E '@[A-Z_]+@' <<<"$accounts")"
echo 'LOG_DSN_AGG=postgresql://newapi_agg:x@postgres-logs:5432/new-api-logs?sslmode=disable' >>"$TEST_DIR/env/.env"
check "compose-setup accounts: logs in another database: \\connect to it before its grants" \
  test "$(in_env "$SETUP" accounts | grep -c '^\\connect "new-api-logs"$')" = 1
check "compose-setup accounts logs: only the logs database's grants" \
  test -z "$(in_env "$SETUP" accounts logs | grep -F 'observer_options')"
sed -i 's/^DB_TYPE=.*/DB_TYPE=mysql/' "$TEST_DIR/env/.env"
check "compose-setup accounts: MySQL's grants for DB_TYPE=mysql" \
  test -n "$(in_env "$SETUP" accounts | grep -F "CREATE USER IF NOT EXISTS 'newapi_ro'")"
sed -i 's/^DB_PASS_RO=.*/DB_PASS_RO=pa$$word/' "$TEST_DIR/env/.env"
refuses_dollar() { local out; out=$(in_env "$SETUP" accounts 2>&1 >/dev/null) && return 1; grep -q 'DB_PASS_RO in .env holds' <<<"$out"; }
check "compose-setup accounts: a password compose would change (\$) is refused, naming it" refuses_dollar
rm -rf "$TEST_DIR/demo" && mkdir "$TEST_DIR/demo" && cp "$TEST_DIR/docker-compose.yml" "$TEST_DIR/demo/"
(cd "$TEST_DIR/demo" && "$SETUP" env --demo 2>/dev/null)
demo_ok() { (cd "$TEST_DIR/demo" && docker-compose --profile demo config) >"$TEST_DIR/demo.yml" &&
            ! grep -q 'new-api_new-api-network' "$TEST_DIR/demo.yml" && grep -q '^DB_HOST=mysql$' "$TEST_DIR/demo/.env"; }
check "compose-setup env --demo: the demo profile runs in compose's own network on DB_HOST=mysql" demo_ok

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
used_by_compose=$( (cat "$REPO_ROOT/docker-compose.yml" "$REPO_ROOT"/deploy/compose.*.yml "$REPO_ROOT"/grafana/provisioning/*/*.yml |
  grep -oE '\$\{[A-Z][A-Z0-9_]+' | sed 's/^\${//'; echo COMPOSE_FILE) | sort -u)  # COMPOSE_FILE: compose's own
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
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep -E '^COPY ' | grep -v -- '--from=' |
             awk '{ for (i = 2; i < NF; i++) print $i }')
done
check "every COPY source of the Dockerfiles exists${missing:+ (missing:$missing)}" test -z "$missing"

# Dockerfile packages: the build stage installs the -dev package of every pkg-config module CMake requires (libpq's
# too), the runtime stage the package of every library the binaries load directly, but the C and C++ runtimes.
# Debian 12 merges /lib into /usr/lib, but dpkg knows a package's files by the path it shipped them at (libcrypt1:
# /lib/x86_64-linux-gnu): the resolved path is also looked up without /usr.
package_of() {
  local file; file=$(readlink -f "$1")
  { dpkg -S "$file" || dpkg -S "${file#/usr}"; } 2>/dev/null | head -n 1 | cut -d: -f1
}
installs() {  # installs STAGE PACKAGE
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$REPO_ROOT/Dockerfile" | awk -v s="$1" '/^FROM / { on = ($NF == s) } on' |
    tr -s ' \t' '\n\n' | grep -qxF -- "$2"
}
absent=""
for module in $(sed -n 's/.*pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \([a-z0-9-]*\)).*/\1/p' \
                  "$REPO_ROOT"/CMakeLists.txt "$REPO_ROOT"/*/CMakeLists.txt); do
  pkg=$(package_of "$(pkg-config --variable=pcfiledir "$module")/$module.pc")
  installs build "$pkg" || absent="$absent build:${pkg:-$module}"
done
for b in exporter/newapi-exporter aggregator/newapi-aggregator; do
  for lib in $(readelf -d "$BUILD_DIR/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -vE '^lib(c|m|gcc_s|stdc\+\+)\.so'); do
    pkg=$(package_of "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')")
    installs runtime "$pkg" || absent="$absent runtime:${pkg:-$lib}"
  done
done
check "the Dockerfile installs every library package the build and the binaries need${absent:+ (absent:$absent)}" \
  test -z "$absent"
finish
