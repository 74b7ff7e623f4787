#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `npm run lab` (and `npm start`): the failover lab, scripts/lab/main.ts. Two directors run `lvsd run`
# on etc/lvs-nat.conf with a client and two real servers in network namespaces; steady traffic
# goes through election, a real stopped and started, a reload, the master killed and preemption
# back; it ends with the report, the timeline (terminal and build/lab/timeline.svg) and the line
# `lab: failover X ms, N requests failed, preempt back Y ms`. Needs root. When this kernel has no
# ip_vs, the lab runs inside the IPVS VM (scripts/ipvs-vm.sh). Heavy: it holds
# /tmp/lvsd-heavy.lock (scripts/heavy-lock.sh). Options go to the lab: `npm run lab -- --short`.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [[ $a == -h || $a == --help ]]; then exec node dist/scripts/lab/main.js --help; fi
done
if [[ $(id -u) != 0 ]]; then
  echo "npm run lab: needs root (network namespaces, IPVS, and QEMU when the kernel has no ip_vs)" >&2
  exit 1
fi
[[ -f dist/scripts/lab/main.js && -f dist/bundle/lvsd/main.js ]] || npm run --silent build
out=build/lab
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ ${args[i]} == --out ]]; then out=${args[i + 1]:-$out}; fi
  if [[ ${args[i]} == --out=* ]]; then out=${args[i]#--out=}; fi
done
mkdir -p "$out"
out=$(realpath "$out")

if [[ -e /proc/net/ip_vs ]] || modprobe -q ip_vs 2>/dev/null; then
  bash scripts/ensure-test-deps.sh netns
  command -v ipvsadm >/dev/null || bash scripts/ensure-test-deps.sh vm
  echo "npm run lab: this kernel has ip_vs; the lab runs here" >&2
  exec bash scripts/heavy-lock.sh node dist/scripts/lab/main.js --out "$out" "$@"
fi
bash scripts/ensure-test-deps.sh vm
env=(-e "COLUMNS=${COLUMNS:-$(tput cols 2>/dev/null || echo 100)}")
if [[ -t 1 ]]; then env+=(-e LVSD_LAB_COLOUR=1); fi
echo "npm run lab: this kernel has no ip_vs; booting the IPVS VM (scripts/ipvs-vm.sh) for the lab" >&2
exec bash scripts/heavy-lock.sh bash scripts/ipvs-vm.sh "${env[@]}" -w "$out" -- \
  node dist/scripts/lab/main.js --out "$out" "$@"
