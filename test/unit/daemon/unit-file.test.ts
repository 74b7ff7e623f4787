// SPDX-License-Identifier: Apache-2.0
// The systemd unit keeps what the daemon's fail-safe and hitless-restart designs rely on
// (`systemd-analyze verify` runs on it in test/netns/daemon/systemd.test.ts and the package test).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';

const repo = new URL('../../../../', import.meta.url).pathname;
const unit = readFileSync(join(repo, 'systemd/lvsd.service'), 'utf8');

/** The unit's `Key=value` settings (the last one wins, as systemd reads a plain assignment). */
function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

test('a restart hands over through the run directory, which outlives the restart', (t) => {
  const s = settings(unit);
  t.is(s.get('RestartKillSignal'), 'SIGQUIT', 'the stopping workers leave the VIPs and IPVS in place');
  t.is(s.get('RuntimeDirectory'), 'lvsd');
  // without it systemd removes /run/lvsd between stop and start, and the handoff records with it
  t.is(s.get('RuntimeDirectoryPreserve'), 'restart');
  t.is(s.get('KillMode'), 'mixed', 'the supervisor alone is signalled; it stops its workers');
});

test('systemd sees reloads, readiness and a hung daemon', (t) => {
  const s = settings(unit);
  t.is(s.get('Type'), 'notify');
  t.is(s.get('ExecReload'), '/usr/sbin/lvsd reload', 'the reload waits and fails when the file is refused');
  t.regex(s.get('WatchdogSec') ?? '', /^\d+s$/);
  t.is(s.get('EnvironmentFile'), '-/etc/default/lvsd');
  t.regex(s.get('ExecStart') ?? '', /\$LVSD_OPTS$/);
});

test("Node's compile cache is on, in a directory only root can write", (t) => {
  const s = settings(unit);
  t.is(s.get('CacheDirectory'), 'lvsd');
  t.is(s.get('CacheDirectoryMode'), '0700', 'cached code is run: no one else may write it');
  t.is(s.get('Environment'), 'NODE_COMPILE_CACHE=/var/cache/lvsd/node-compile-cache');
});

test('the VRRP worker runs realtime, which the unit lets it without CAP_SYS_NICE', (t) => {
  const s = settings(unit);
  t.regex(
    s.get('ExecStart') ?? '',
    / --realtime \$LVSD_OPTS$/,
    'LVSD_OPTS=--no-realtime comes after it and wins',
  );
  t.is(s.get('LimitRTPRIO'), '99', 'sched_setscheduler(SCHED_RR) is allowed up to RLIMIT_RTPRIO');
  t.is(s.get('LimitNICE'), '-20', 'a negative vrrp_priority needs RLIMIT_NICE');
  t.is(s.get('RestrictRealtime'), 'no');
  t.notRegex(s.get('CapabilityBoundingSet') ?? '', /CAP_SYS_NICE/, 'the limits are enough');
});
