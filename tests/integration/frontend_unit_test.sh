#!/usr/bin/env bash
# The web UI's type check and unit tests (Vitest: API client, query hooks, data transforms, UI text); installs the
# locked packages first when node_modules is missing.
# Usage: frontend_unit_test.sh
set -euo pipefail
cd "$(dirname "$0")/../../frontend"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi
npx tsc --noEmit
exec npx vitest run
