#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The end-to-end HA lab, for an operator to watch: builds, boots the IPVS VM (scripts/ipvs-vm.sh) and
# runs test/vm/e2e/ha-nat.test.ts verbosely: two directors running `lvsd run` on the LVS guide's NAT
# lab (etc/lab/e2e-nat.conf), election, health checks, reloads, a worker crash and a failover under
# HTTP traffic, with the measured times printed. Needs root (namespaces inside the VM). ~4 minutes.
# The operator's lab with a report and a chart is `npm run lab` (scripts/lab.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
exec bash scripts/heavy-lock.sh bash scripts/ipvs-vm.sh -- node_modules/.bin/ava --serial --verbose --timeout=10m dist/test/vm/e2e/ha-nat.test.js
