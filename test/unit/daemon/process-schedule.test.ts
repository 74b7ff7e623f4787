// SPDX-License-Identifier: Apache-2.0
// How a worker's scheduling follows its settings (src/daemon/process-schedule.ts), against a fake that
// records the system calls: applied as a difference, relaxed for a reload and applied again, refused calls
// logged once and reported, SIGXCPU counted and the soft limit put back. The real calls on the real
// kernel: test/netns/daemon/realtime.test.ts.
import test from 'ava';
import {
  ProcessSchedule,
  REALTIME_DEFAULTS,
  wantedSchedule,
  type SchedulingCalls,
} from '../../../src/daemon/process-schedule.js';
import type { Logger } from '../../../src/core/log.js';
import { silentLogger } from '../../fakes/silent-logger.js';

function fakeCalls(refuse: RegExp | undefined = undefined) {
  const calls: string[] = [];
  const rec =
    (name: string) =>
    (...args: number[]): void => {
      const call = `${name}(${args.join(',')})`;
      if (refuse?.test(call)) throw new Error('EPERM: operation not permitted');
      calls.push(call);
    };
  const sys: SchedulingCalls = {
    setRealtime: rec('setRealtime'),
    setNormalScheduling: rec('setNormalScheduling'),
    setNice: rec('setNice'),
    setRtTimeLimit: rec('setRtTimeLimit'),
  };
  return { calls, sys };
}

function warnings(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: { ...silentLogger, warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`) } };
}

test('the defaults of --realtime fill only what the configuration leaves out', (t) => {
  t.deepEqual(wantedSchedule(undefined, false), {});
  t.deepEqual(wantedSchedule(undefined, true), { ...REALTIME_DEFAULTS });
  t.deepEqual(wantedSchedule({ rtPriority: 70 }, true), { ...REALTIME_DEFAULTS, rtPriority: 70 });
  t.deepEqual(wantedSchedule({ nice: -3 }, true), { ...REALTIME_DEFAULTS, nice: -3 });
  // without --realtime, vrrp_rt_priority alone gets lvsd's 200 ms limit (keepalived's 10 ms killed it)
  t.deepEqual(wantedSchedule({ rtPriority: 20 }, false), {
    rtPriority: 20,
    rlimitRttimeUs: 200_000,
  });
});

test('nothing configured: no system call at all', (t) => {
  const { calls, sys } = fakeCalls();
  const s = new ProcessSchedule('vrrp', () => sys, silentLogger, 0);
  s.apply({});
  s.relax();
  s.apply({});
  t.deepEqual(calls, []);
  t.like(s.state(), { policy: 'SCHED_OTHER', nice: 0, overruns: 0 });
});

test('realtime: the limit (soft at half) before the policy, then only what changes', (t) => {
  const { calls, sys } = fakeCalls();
  const s = new ProcessSchedule('vrrp', () => sys, silentLogger, 0);
  s.apply({ rtPriority: 40, rlimitRttimeUs: 300_000, nice: -5 });
  t.deepEqual(calls, ['setNice(-5)', 'setRtTimeLimit(150000,300000)', 'setRealtime(40)']);
  t.deepEqual(s.state(), {
    policy: 'SCHED_RR',
    rtPriority: 40,
    nice: -5,
    rlimitRttimeUs: 300_000,
    overruns: 0,
    refused: [],
  });
  calls.length = 0;
  s.apply({ rtPriority: 40, rlimitRttimeUs: 300_000, nice: -5 });
  t.deepEqual(calls, [], 'the same settings again: nothing to do');
  s.apply({ rtPriority: 60, rlimitRttimeUs: 300_000 });
  t.deepEqual(calls, ['setNice(0)', 'setRealtime(60)'], 'nice back to what the process started with');
});

test('a reload runs at normal priority and is realtime again after (the limit kept)', (t) => {
  const { calls, sys } = fakeCalls();
  const s = new ProcessSchedule('vrrp', () => sys, silentLogger, 0);
  s.apply({ rtPriority: 40, rlimitRttimeUs: 100_000 });
  calls.length = 0;
  s.relax();
  t.is(s.state().policy, 'SCHED_OTHER');
  s.apply({ rtPriority: 40, rlimitRttimeUs: 100_000 });
  t.deepEqual(calls, ['setNormalScheduling()', 'setRealtime(40)']);
  t.is(s.state().policy, 'SCHED_RR');
});

test('realtime turned off by a reload: back to SCHED_OTHER', (t) => {
  const { calls, sys } = fakeCalls();
  const s = new ProcessSchedule('checker', () => sys, silentLogger, 0);
  s.apply({ rtPriority: 10, rlimitRttimeUs: 50_000 });
  calls.length = 0;
  s.apply({});
  t.deepEqual(calls, ['setNormalScheduling()']);
  t.like(s.state(), { policy: 'SCHED_OTHER' });
  t.is(s.state().rlimitRttimeUs, undefined);
});

test('a refused call is logged once, reported, and the worker goes on without it', (t) => {
  const { calls, sys } = fakeCalls(/^setRealtime/);
  const { log, lines } = warnings();
  const s = new ProcessSchedule('vrrp', () => sys, log, 0);
  s.apply({ rtPriority: 40, rlimitRttimeUs: 100_000 });
  s.relax();
  s.apply({ rtPriority: 40, rlimitRttimeUs: 100_000 });
  t.deepEqual(calls, ['setRtTimeLimit(50000,100000)']);
  t.is(lines.length, 1);
  t.regex(lines[0] ?? '', /vrrp worker's scheduling: refused.*sched_setscheduler\(SCHED_RR, 40\): EPERM/);
  t.like(s.state(), {
    policy: 'SCHED_OTHER',
    refused: ['sched_setscheduler(SCHED_RR, 40): EPERM: operation not permitted'],
  });
});

test('SIGXCPU: counted, logged with the keyword to raise, and the soft limit put back', (t) => {
  const { calls, sys } = fakeCalls();
  const { log, lines } = warnings();
  const s = new ProcessSchedule('vrrp', () => sys, log, 0);
  s.apply({ rtPriority: 40, rlimitRttimeUs: 200_000 });
  calls.length = 0;
  s.overrun();
  s.overrun();
  t.deepEqual(calls, ['setRtTimeLimit(100000,200000)', 'setRtTimeLimit(100000,200000)']);
  t.is(s.state().overruns, 2);
  t.regex(lines[1] ?? '', /vrrp_rlimit_rttime may need to be increased.*"overruns":2/);
});
