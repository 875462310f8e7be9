#!/bin/sh
# Prints one of schema/grants*.sql with its @...@ placeholders filled in, passwords escaped as SQL string literals (any
# character but a newline: ' and, on MySQL, \ are doubled), so a password with / & ' or \ works.
# Usage: DB_NAME=... [LOGS_DB_NAME=...] [AGG_DB_NAME=...] RO_PASSWORD=... AGG_PASSWORD=... GRAFANA_PASSWORD=...
#        fill-grants.sh FILE
# LOGS_DB_NAME (where logs live) defaults to DB_NAME; AGG_DB_NAME to LOGS_DB_NAME on MySQL, observer on PostgreSQL.
# Only the passwords FILE uses are needed. Database and schema names: letters, digits, _ and -.
set -eu
file=$1
case $file in *postgres*) engine=postgres ;; *) engine=mysql ;; esac
LOGS_DB_NAME=${LOGS_DB_NAME:-$DB_NAME}
[ "$engine" = postgres ] && default_agg=observer || default_agg=$LOGS_DB_NAME
AGG_DB_NAME=${AGG_DB_NAME:-$default_agg}
for name in "$DB_NAME" "$LOGS_DB_NAME" "$AGG_DB_NAME"; do
  case $name in
    ''|*[!A-Za-z0-9_-]*) echo "fill-grants.sh: database or schema name '$name' must be letters, digits, _ and -" >&2; exit 2 ;;
  esac
done
for var in RO_PASSWORD AGG_PASSWORD GRAFANA_PASSWORD; do
  grep -q "@$var@" "$file" || continue
  eval "value=\${$var:-}"
  [ -n "$value" ] || { echo "fill-grants.sh: $var is empty" >&2; exit 2; }
  case $value in *'
'*) echo "fill-grants.sh: $var holds a newline" >&2; exit 2 ;; esac
done
export DB_NAME LOGS_DB_NAME AGG_DB_NAME
# perl (in every Debian image): the values are taken as they are, never as patterns or replacement syntax.
ENGINE=$engine perl -pe '
  BEGIN {
    sub literal { my $v = shift // ""; $v =~ s/\\/\\\\/g if $ENV{ENGINE} eq "mysql"; $v =~ s/\x27/\x27\x27/g; return $v; }
    %fill = (map({ $_ => $ENV{$_} } qw(DB_NAME LOGS_DB_NAME AGG_DB_NAME)),
             map({ $_ => literal($ENV{$_}) } qw(RO_PASSWORD AGG_PASSWORD GRAFANA_PASSWORD)));
  }
  s/\@([A-Z_]+)\@/exists $fill{$1} ? $fill{$1} : "\@$1\@"/ge;
' "$file"
