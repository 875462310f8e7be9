#!/usr/bin/env bash
# Checks that every C++ source follows .clang-format (scripts/format applies it); the web app's Prettier and ESLint
# checks run in frontend_unit_test, next to its other checks.
# Usage: format_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t sources < <(git ls-files '*.cc' '*.h' '*.cc.in')
[ "${#sources[@]}" -gt 0 ] || { echo "format_test: no C++ sources found (not a git checkout?)" >&2; exit 1; }
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "format_test: the files above differ from .clang-format; run scripts/format" >&2
  exit 1
fi
echo "format_test: ${#sources[@]} C++ files follow .clang-format"
