#!/usr/bin/env bash
# `npm run bench [NAME...]`: run benchmarks (not tests). Each writes its results, with the machine and
# the date, into bench/results/NAME.md. Root is needed for the VM and namespace benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(config-parse script-spawn config-hostile ipvs-apply ipvs-read ipvs-drift reload-vm failover notify-failover realtime vrrp-cpu failsafe cold-start footprint footprint-lvs checks checks-host check-timing vrrp-core reconcile reload reload-delta reload-busy startup sync scale-out)
sel=("$@")
((${#sel[@]})) || sel=("${all[@]}")
for b in "${sel[@]}"; do
  f=dist/bench/$b.js
  if [[ ! -f $f ]]; then echo "bench: $b: $f not built" >&2; exit 1; fi
  echo "=== bench $b"
  node "$f"
done
