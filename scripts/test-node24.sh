#!/usr/bin/env bash
# The unit layer on Node 24 (the LTS line the .deb bundles; package.json config.bundledNode),
# fetched on demand from the npm registry's node-linux package (scripts/bundled-node.sh). The
# code compiled by `npm run build` and the N-API addons built under Node 20 run as they are: no
# rebuild. Node 24 comes first on PATH, so tests that start `bin/lvsd` or `node` run on it too.
# Usage: test-node24.sh [AVA-ARGS...]   (default: every unit test)
set -euo pipefail
cd "$(dirname "$0")/.."
node_dir=$(bash scripts/bundled-node.sh)
export PATH="$node_dir/bin:$PATH"
echo "unit layer on node $(node --version) ($node_dir)"
if (($# == 0)); then set -- --timeout=2m 'dist/test/unit/**/*.test.js'; fi
exec node node_modules/ava/entrypoints/cli.mjs "$@"
