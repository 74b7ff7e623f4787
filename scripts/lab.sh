#!/usr/bin/env bash
# `npm start`: validate every sample config in etc/ as each director of its pair and print the model.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f dist/src/cli/main.js ]] || npm run --silent build
rc=0
for f in etc/*.conf; do
  ids=$(grep -oE '^@\^?[A-Za-z0-9_.-]+' "$f" | tr -d '@^' | sort -u || true)
  [[ -n $ids ]] || ids=$(hostname -s)
  for id in $ids; do
    echo "=== $f as --config-id $id"
    bin/lvsd check-config -f "$f" --config-id "$id" --json || rc=1
  done
done
exit $rc
