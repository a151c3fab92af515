#!/usr/bin/env bash
# Installs the e2e's Backstage packages (test/e2e/backstage: the published
# catalog backend and RHDH model-catalog provider) with npm ci. run.sh (make
# e2e) and make bench-provider call it.
#
# Usage: test/e2e/npm-ci.sh [--if-needed]
#   --if-needed: do nothing when node_modules was installed from the same
#                package-lock.json (a stamp file records its hash).
set -euo pipefail

APP=$(cd "$(dirname "${BASH_SOURCE[0]}")/backstage" && pwd)
STAMP="$APP/node_modules/.rhoai-npm-ci.sha256"

command -v node >/dev/null || { echo "node is missing: install Node.js 20 or newer" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing: install npm" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "node $(node --version) is too old: install Node.js 20 or newer" >&2; exit 1; }

lock=$(sha256sum "$APP/package-lock.json" | cut -d' ' -f1)
if [ "${1:-}" = "--if-needed" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$lock" ]; then
	exit 0
fi
echo "npm ci in $APP (a minute or two the first time)"
(cd "$APP" && npm ci --no-audit --no-fund --loglevel=error)
echo "$lock" >"$STAMP"
