#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 20s).
# The seed corpora in testdata/fuzz run with every `make test`; this digs
# further. A crash leaves its input in testdata/fuzz/<Target>/: commit it
# with the fix, so that it stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
failed=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -lq '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
      failed=1
    fi
  done
done
exit $failed
