#!/usr/bin/env bash
# The web UI's type check, formatting and lint (Prettier, ESLint) and unit tests (Vitest: API client, query hooks, data
# transforms, UI text); installs the locked packages first when node_modules is missing or older than the lock file. Holds the lock `scripts/stack up` builds the UI under, so a
# stack starting in parallel never reinstalls node_modules underneath it.
# Usage: frontend_unit_test.sh
set -euo pipefail
cd "$(dirname "$0")/../../frontend"
exec 9>.build-lock
flock 9
if [ "$(cat node_modules/.lock-sha256 2>/dev/null)" != "$(sha256sum package-lock.json | cut -c1-64)" ]; then
  npm ci --no-audit --no-fund
  sha256sum package-lock.json | cut -c1-64 >node_modules/.lock-sha256
fi
npx tsc --noEmit
npm run --silent lint
npx vitest run
