#!/usr/bin/env bash
# The documentation stands on its own and its cross-references resolve: every relative Markdown link and every
# backticked repository path in a Markdown file exists, every `README "Section"` reference (in any tracked text file)
# names a heading of README.md, and nothing points outside the repository (the planning brief's sections, `§N`).
# Usage: docs_references_test.sh
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT" || exit 1

# tracked [PATTERN...]: the repository's files but built output and this test (which names what it looks for).
tracked() { git ls-files -- "$@" 2>/dev/null | grep -vE '^(frontend/dist|tests/artifacts)/|docs_references_test\.sh$'; }
# in_clone PATH: PATH is a tracked file or a folder holding one (what a fresh clone has, not what a run left behind).
in_clone() { git ls-files --error-unmatch -- "${1%/}" >/dev/null 2>&1; }
markdown=$(tracked '*.md')
top_folders=$(git ls-files | cut -d/ -f1 | sort -u | tr '\n' '|' | sed 's/|$//')

# Relative links: [text](path) or [text](path#anchor), resolved beside the Markdown file.
broken_links=""
for md in $markdown; do
  while read -r target; do
    target=${target%%#*}
    [ -n "$target" ] || continue
    in_clone "$(dirname "$md")/$target" || broken_links="$broken_links $md:$target"
  done < <(grep -oE '\]\([^)[:space:]]+\)' "$md" | sed -E 's/^\]\(//; s/\)$//' | grep -vE '^(https?|mailto):')
done
check "every relative Markdown link resolves${broken_links:+ (broken:$broken_links)}" test -z "$broken_links"

# Backticked paths that start with a top-level folder of the repository: `exporter/metrics.md`, `grafana/dashboards/`
# (generated output that git ignores is skipped).
# Placeholders (<...>, ..., *, {a,b}, $VAR) and option-like words are not paths.
missing_paths="" checked=0
for md in $markdown; do
  while read -r path; do
    case $path in *'<'*|*'...'*|*'*'*|*'{'*|*'$'*|*'@'*|*' '*) continue ;; esac
    # Generated output (frontend/dist, tests/artifacts) is not in a clone; "dir/" matches git's folder patterns even
    # before the folder exists.
    { git check-ignore -q "$path" || git check-ignore -q "${path%/}/"; } && continue
    checked=$((checked + 1))
    in_clone "$path" || missing_paths="$missing_paths $md:$path"
  done < <(grep -oE '`[^`]+`' "$md" | tr -d '`' | grep -E "^($top_folders)/[A-Za-z0-9_./-]*$" | sort -u)
done
check "every backticked repository path in the Markdown files exists ($checked)${missing_paths:+ (missing:$missing_paths)}" \
  test -z "$missing_paths"

# README "Section" references, e.g. in .env.example and comments.
headings=$(sed -n 's/^#\{1,6\} //p' README.md)
unknown_sections=""
while IFS= read -r ref; do
  grep -qxF -- "$ref" <<<"$headings" || unknown_sections="$unknown_sections \"$ref\""
done < <(tracked | xargs grep -ohE 'README "[^"]+"' 2>/dev/null | sed -E 's/^README "//; s/"$//' | sort -u)
check "every README \"Section\" reference names a heading of README.md${unknown_sections:+ (unknown:$unknown_sections)}" \
  test -z "$unknown_sections"

# Nothing outside the repository: the planning brief and its numbered sections.
outside=$(tracked | xargs grep -lE '§ ?[0-9]|brief \(§|BRIEF\.md|\.\./shared/' 2>/dev/null | tr '\n' ' ')
check "no file points to documents outside the repository (§N, the brief)${outside:+ (in: $outside)}" test -z "$outside"
finish
