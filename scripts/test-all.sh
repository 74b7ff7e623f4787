#!/usr/bin/env bash
# `npm test`: every layer in order (build + lint, unit on Node 20 and on Node 24, the .deb, netns,
# vm), then one summary line. Node 24 is fetched on demand (scripts/bundled-node.sh). package,
# netns and vm need root; they install their own Debian packages (scripts/ensure-test-deps.sh)
# and the VM image (scripts/ipvs-vm.sh). A layer that fails fails the whole run: none is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 status=0 failed_layers=''
layer() {
  local name=$1; shift
  echo "=== lvsd test layer: $name"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log/$name.out"
  local rc=${PIPESTATUS[0]}
  local p f
  # ava prints "N tests passed" only when none failed: count the ✔ lines instead
  p=$(grep -acE '^\s*✔' "$log/$name.out" || true)
  f=$(grep -aoE '[0-9]+ (tests? failed|uncaught exceptions?|unhandled rejections?)' "$log/$name.out" | awk '{s+=$1} END {print s+0}')
  [[ -n $f ]] || f=0
  if ((rc != 0 && f == 0)); then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  echo "=== lvsd test layer $name: exit $rc, $p passed, $f failed, $((SECONDS - start)) s"
  if ((rc != 0)); then status=1 failed_layers+=" $name(exit $rc)"; fi
}
layer build npm run --silent build
layer lint npm run --silent lint
layer unit bash -c '{ [[ -d /usr/share/doc/keepalived/samples ]] || bash scripts/ensure-test-deps.sh samples; } && npx ava --timeout=2m "dist/test/unit/**/*.test.js"'
layer unit-node24 bash scripts/test-node24.sh
layer package bash -c 'bash scripts/ensure-test-deps.sh package && LVSD_PACKAGE_BUILT=1 npm run --silent package && npx ava --serial --timeout=10m "dist/test/package/**/*.test.js"'
# the heavy layers hold /tmp/lvsd-heavy.lock (one heavy run at a time on a shared machine; taken
# at once when `npm test` itself runs under it). The vm layer's one boot also runs the failover
# lab's short form (test/vm/lab/lab.test.ts).
layer netns bash -c 'bash scripts/ensure-test-deps.sh netns && bash scripts/heavy-lock.sh npx ava --serial --timeout=5m "dist/test/netns/**/*.test.js"'
# (ava itself, not `npx ava`: npx's own start costs ~18 s in the emulated VM, measured)
layer vm bash -c 'bash scripts/ensure-test-deps.sh vm && bash scripts/heavy-lock.sh bash scripts/ipvs-vm.sh -- node_modules/.bin/ava --serial --timeout=10m "dist/test/vm/**/*.test.js"'
# CI keeps the tail of this output: the failures are repeated here, by layer, so they are in it
for out in "$log"/*.out; do
  if grep -qaE '^\s*✘' "$out"; then
    echo "=== failed in $(basename "$out" .out):"
    grep -aE '^\s*✘' "$out" | cut -c1-300
  fi
done
echo "lvsd: $passed passed, $failed failed${failed_layers:+; failed layers:$failed_layers}"
exit $status
