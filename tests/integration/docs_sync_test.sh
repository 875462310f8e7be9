#!/usr/bin/env bash
# README.md and README.zh_CN.md stay in step: the English README links the Chinese one at its top, both configuration
# tables list the same variables, and the Chinese guide's commands are the English README's, including every command
# of the operator's path (set-up, supported databases, compose, accounts and the check).
# Usage: docs_sync_test.sh
set -uo pipefail
source "$(dirname "$0")/lib.sh"
EN=$REPO_ROOT/README.md ZH=$REPO_ROOT/README.zh_CN.md

# variables FILE HEADING: the backticked names in the first column of the table under HEADING.
variables() {
  awk -v h="$2" '$0 == h { on = 1; next } on && /^## / { exit } on && /^\| `/ { print $2 }' FS='|' "$1" |
    grep -o '`[A-Z][A-Z0-9_]*`' | tr -d '`' | sort -u
}
# commands FILE [FROM_HEADING...]: the lines of its sh code blocks, without comments and surrounding blanks; with
# headings, only the blocks in those sections (up to the next heading of the same or a higher level).
commands() {
  local file=$1; shift
  awk -v wanted="$(printf '%s\n' "$@")" '
    BEGIN { n = split(wanted, list, "\n"); all = (wanted == ""); for (i = 1; i <= n; i++) if (list[i] != "") want[list[i]] = 1 }
    /^```sh/ { block = 1; next }
    /^```/ { block = 0; next }
    block { if (all || on || !started) { sub(/ +#.*$/, ""); sub(/^#.*$/, ""); gsub(/^ +| +$/, ""); if ($0 != "") print }; next }
    /^#+ / { level = index($0, " ") - 1; if ($0 in want) { on = 1; on_level = level } else if (on && level <= on_level) on = 0 }
    /^## / { started = 1 }' "$file"
}

check "README.md links README.zh_CN.md in its first lines" bash -c 'head -5 "$1" | grep -q "README.zh_CN.md"' _ "$EN"
differences=$(diff <(variables "$EN" "## Configuration") <(variables "$ZH" "## 配置项") | grep '^[<>]' | tr '\n' ' ')
check "both configuration tables list the same $(variables "$EN" "## Configuration" | wc -l) variables${differences:+ (< English only, > Chinese only: $differences)}" \
  test -z "$differences"
missing=$(comm -23 <(commands "$ZH" | sort -u) <(commands "$EN" | sort -u))
check "every command of README.zh_CN.md is in README.md${missing:+ (not: $missing)}" test -z "$missing"
untranslated=$(comm -23 <(commands "$EN" "## Supported databases" "### With Docker Compose" "### Database accounts and the check" | sort -u) \
  <(commands "$ZH" | sort -u))
check "README.zh_CN.md has every command of the operator's path${untranslated:+ (not: $untranslated)}" test -z "$untranslated"
finish
