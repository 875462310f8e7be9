#!/usr/bin/env bash
# CTest fixture: starts (start) or stops (stop) the private MariaDB shared by the integration tests.
# Usage: test_services.sh start|stop DIR DB_PORT
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/services.sh"
action=$1 dir=$2 port=$3
case "$action" in
  start)
    mariadb_stop "$dir/mariadb"  # a leftover from an interrupted run
    MARIADB_BUFFER_POOL=512M mariadb_start "$dir/mariadb" "$port"
    mariadb_sql "$dir/mariadb" "CREATE USER IF NOT EXISTS 'observer_test'@'%' IDENTIFIED BY 'observer-test';
      GRANT ALL PRIVILEGES ON *.* TO 'observer_test'@'%' WITH GRANT OPTION;"
    say "test MariaDB ready on 127.0.0.1:$port"
    ;;
  stop) mariadb_stop "$dir/mariadb" ;;
  *) echo "usage: $0 start|stop DIR DB_PORT" >&2; exit 2 ;;
esac
