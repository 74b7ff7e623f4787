#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# heavy-lock.sh COMMAND [ARGS...]: run COMMAND holding /tmp/lvsd-heavy.lock, the machine-wide lock
# that keeps heavy runs (namespace labs, IPVS VM boots) one at a time on a shared 2-core machine.
# When an ancestor of this script already holds the lock (`flock /tmp/lvsd-heavy.lock npm test`),
# COMMAND runs at once: taking it again would wait for ourselves forever.
set -euo pipefail
lock=${LVSD_HEAVY_LOCK:-/tmp/lvsd-heavy.lock}
[[ $# -gt 0 ]] || { echo "usage: heavy-lock.sh COMMAND [ARGS...]" >&2; exit 2; }
touch "$lock" 2>/dev/null || true
held_by_ancestor() {
  local ino holders pid
  ino=$(stat -c %i "$lock" 2>/dev/null) || return 1
  # /proc/locks: "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END"
  holders=$(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, f, ":"); if (f[n] == ino) print $5 }' /proc/locks)
  [[ -n $holders ]] || return 1
  pid=$$
  while [[ $pid -gt 1 ]]; do
    if grep -qx "$pid" <<<"$holders"; then return 0; fi
    # /proc/PID/status, not stat: a process title with spaces (npm's) shifts stat's fields
    pid=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
  done
  return 1
}
if held_by_ancestor; then exec "$@"; fi
if ! flock -n "$lock" true; then
  echo "heavy-lock: waiting for $lock (another lab, VM or netns run on this machine)" >&2
fi
exec flock "$lock" "$@"
