// SPDX-License-Identifier: Apache-2.0
// vrrp_track_process counting (src/vrrp/process-tracking.ts): matching rows, and scripts of process
// events with the time, each step with the quorum changes it must report (keepalived's rules).
import test from 'ava';
import {
  ProcessQuorum,
  matchesProcess,
  type ProcessEvent,
  type ProcessInfo,
  type ProcessMatchSpec,
  type QuorumChange,
} from '../../../src/vrrp/process-tracking.js';

function spec(over: Partial<ProcessMatchSpec> = {}): ProcessMatchSpec {
  return {
    name: 'tp',
    process: 'haproxy',
    fullCommand: false,
    params: [],
    quorum: 1,
    quorumMax: Number.POSITIVE_INFINITY,
    forkDelayMs: 0,
    terminateDelayMs: 0,
    ...over,
  };
}

const proc = (pid: number, comm: string, argv: string[] = [comm]): ProcessInfo => ({ pid, comm, argv });

const matchRows: Array<{ name: string; spec: Partial<ProcessMatchSpec>; p: ProcessInfo; want: boolean }> = [
  { name: 'comm equal', spec: {}, p: proc(1, 'haproxy'), want: true },
  {
    name: 'comm is not a prefix match (pgrep ssh matches sshd; this does not)',
    spec: { process: 'ssh' },
    p: proc(1, 'sshd'),
    want: false,
  },
  {
    name: 'without full_command the command line is not looked at',
    spec: {},
    p: proc(1, 'haproxy', ['/usr/sbin/other']),
    want: true,
  },
  {
    name: 'full_command: argv[0] equal',
    spec: { process: '/usr/sbin/haproxy', fullCommand: true },
    p: proc(1, 'haproxy', ['/usr/sbin/haproxy', '-f', 'x']),
    want: true,
  },
  {
    name: 'full_command: the comm does not count',
    spec: { process: 'haproxy', fullCommand: true },
    p: proc(1, 'haproxy', ['/usr/sbin/haproxy']),
    want: false,
  },
  {
    name: 'full_command: a process with no command line (kernel thread)',
    spec: { process: 'kthreadd', fullCommand: true },
    p: proc(2, 'kthreadd', []),
    want: false,
  },
  {
    name: 'exact: same parameters',
    spec: { fullCommand: true, paramMatch: 'exact', params: ['-f', 'a.cfg'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg']),
    want: true,
  },
  {
    name: 'exact: one parameter more',
    spec: { fullCommand: true, paramMatch: 'exact', params: ['-f', 'a.cfg'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg', '-d']),
    want: false,
  },
  {
    name: 'exact: one parameter less',
    spec: { fullCommand: true, paramMatch: 'exact', params: ['-f', 'a.cfg'] },
    p: proc(1, 'x', ['haproxy', '-f']),
    want: false,
  },
  {
    name: 'exact without parameters: the command must have none',
    spec: { fullCommand: true, paramMatch: 'exact' },
    p: proc(1, 'x', ['haproxy', '-d']),
    want: false,
  },
  {
    name: 'exact without parameters, none given',
    spec: { fullCommand: true, paramMatch: 'exact' },
    p: proc(1, 'x', ['haproxy']),
    want: true,
  },
  {
    name: 'partial: the first parameters equal, more follow',
    spec: { fullCommand: true, paramMatch: 'partial', params: ['-f', 'a.cfg'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg', '-d']),
    want: true,
  },
  {
    name: 'partial: the last one must be whole',
    spec: { fullCommand: true, paramMatch: 'partial', params: ['-f', 'a'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg']),
    want: false,
  },
  {
    name: 'initial: the last one may be longer',
    spec: { fullCommand: true, paramMatch: 'initial', params: ['-f', 'a'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg', '-d']),
    want: true,
  },
  {
    name: 'initial: the ones before it are whole',
    spec: { fullCommand: true, paramMatch: 'initial', params: ['-', 'a'] },
    p: proc(1, 'x', ['haproxy', '-f', 'a.cfg']),
    want: false,
  },
  {
    name: 'partial without parameters: anything',
    spec: { fullCommand: true, paramMatch: 'partial' },
    p: proc(1, 'x', ['haproxy', '-d']),
    want: true,
  },
];
for (const r of matchRows) {
  test(`match: ${r.name}`, (t) => t.is(matchesProcess(spec(r.spec), r.p), r.want));
}

type Step =
  | { at: number; scan: ProcessInfo[]; initial?: boolean; want: QuorumChange[] }
  | { at: number; ev: ProcessEvent; want: QuorumChange[] }
  | { at: number; expire: true; want: QuorumChange[] };

const up = (name = 'tp'): QuorumChange => ({ name, up: true });
const down = (name = 'tp'): QuorumChange => ({ name, up: false });
const exec = (pid: number, comm: string, argv?: string[]): ProcessEvent => ({
  type: 'exec',
  pid,
  info: proc(pid, comm, argv),
});
const exit = (pid: number): ProcessEvent => ({ type: 'exit', pid });
const fork = (parent: number, child: number): ProcessEvent => ({ type: 'fork', parent, child });

const scripts: Array<{
  name: string;
  specs: ProcessMatchSpec[];
  steps: Step[];
  final?: Record<string, number>;
}> = [
  {
    name: 'the first scan reports every tracker; an exec of the program gains, its exit loses, both at once',
    specs: [spec(), spec({ name: 'other', process: 'nginx' })],
    steps: [
      { at: 0, scan: [proc(10, 'bash')], initial: true, want: [down(), down('other')] },
      { at: 1, ev: exec(11, 'haproxy'), want: [up()] },
      { at: 2, ev: exec(12, 'sleep'), want: [] },
      { at: 3, ev: exit(11), want: [down()] },
    ],
  },
  {
    name: 'quorum 2: the second process gains, losing one loses',
    specs: [spec({ quorum: 2 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [down()] },
      { at: 1, ev: exec(2, 'haproxy'), want: [up()] },
      { at: 2, ev: exec(3, 'haproxy'), want: [] },
      { at: 3, ev: exit(1), want: [] },
      { at: 4, ev: exit(2), want: [down()] },
    ],
    final: { tp: 1 },
  },
  {
    name: 'quorum_max 1: a second process is too many',
    specs: [spec({ quorumMax: 1 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [up()] },
      { at: 1, ev: exec(2, 'haproxy'), want: [down()] },
      { at: 2, ev: exit(1), want: [up()] },
    ],
  },
  {
    name: 'quorum_max 0 (quorum 0): OK while none runs',
    specs: [spec({ quorum: 0, quorumMax: 0 })],
    steps: [
      { at: 0, scan: [], initial: true, want: [up()] },
      { at: 1, ev: exec(5, 'haproxy'), want: [down()] },
      { at: 2, ev: exit(5), want: [up()] },
    ],
  },
  {
    name: 'a fork of a counted process counts the child; one of an uncounted process does not',
    specs: [spec({ quorum: 2 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy'), proc(7, 'bash')], initial: true, want: [down()] },
      { at: 1, ev: fork(7, 8), want: [] },
      { at: 2, ev: fork(1, 2), want: [up()] },
      { at: 3, ev: exit(2), want: [down()] },
    ],
  },
  {
    name: 'fork_delay: a gain by fork waits; the child exec-ing something else first cancels it',
    specs: [spec({ quorum: 2, forkDelayMs: 100 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [down()] },
      { at: 10, ev: fork(1, 2), want: [] },
      { at: 50, ev: exec(2, 'sh'), want: [] },
      { at: 200, expire: true, want: [] },
      { at: 300, ev: fork(1, 3), want: [] },
      { at: 399, expire: true, want: [] },
      { at: 400, expire: true, want: [up()] },
    ],
  },
  {
    name: 'fork_delay does not hold back a gain by exec',
    specs: [spec({ forkDelayMs: 100 })],
    steps: [
      { at: 0, scan: [], initial: true, want: [down()] },
      { at: 1, ev: exec(4, 'haproxy'), want: [up()] },
    ],
  },
  {
    name: 'terminate_delay: a restart within the delay changes nothing; a longer absence loses at the deadline',
    specs: [spec({ terminateDelayMs: 500 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [up()] },
      { at: 100, ev: exit(1), want: [] },
      { at: 300, ev: exec(2, 'haproxy'), want: [] },
      { at: 700, expire: true, want: [] },
      { at: 1000, ev: exit(2), want: [] },
      { at: 1499, expire: true, want: [] },
      { at: 1500, expire: true, want: [down()] },
    ],
  },
  {
    name: 'a name change (comm) away loses at once and back gains; full_command trackers ignore it',
    specs: [spec(), spec({ name: 'cmd', process: '/usr/sbin/haproxy', fullCommand: true })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy', ['/usr/sbin/haproxy'])], initial: true, want: [up(), up('cmd')] },
      { at: 1, ev: { type: 'comm', pid: 1, comm: 'haproxy-old' }, want: [down()] },
      { at: 2, ev: { type: 'comm', pid: 1, comm: 'haproxy' }, want: [up()] },
      { at: 3, ev: exit(1), want: [down(), down('cmd')] },
    ],
  },
  {
    name: 'an exec to another program uncounts at once (even with terminate_delay); a vanished exec is ignored',
    specs: [spec({ terminateDelayMs: 1000 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [up()] },
      { at: 1, ev: { type: 'exec', pid: 9 }, want: [] },
      { at: 2, ev: exec(1, 'true'), want: [down()] },
    ],
  },
  {
    name: 'a counted process exec-ing the same program again is still one process',
    specs: [spec({ quorum: 2 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [down()] },
      { at: 1, ev: exec(1, 'haproxy'), want: [] },
      { at: 2, ev: exec(1, 'haproxy'), want: [] },
    ],
    final: { tp: 1 },
  },
  {
    name: 'a rescan after lost events corrects the count, waiting terminate_delay as an exit would',
    specs: [spec({ terminateDelayMs: 200 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy')], initial: true, want: [up()] },
      { at: 10, scan: [], want: [] },
      { at: 209, expire: true, want: [] },
      { at: 210, expire: true, want: [down()] },
      { at: 300, scan: [proc(2, 'haproxy')], want: [up()] },
    ],
  },
  {
    name: 'the events before the first scan, seen again after it, count once (subscribe, then scan)',
    specs: [spec({ quorum: 2 })],
    steps: [
      { at: 0, scan: [proc(1, 'haproxy'), proc(2, 'haproxy')], initial: true, want: [up()] },
      { at: 1, ev: fork(1, 2), want: [] },
      { at: 2, ev: exec(2, 'haproxy'), want: [] },
      { at: 3, ev: exit(7), want: [] },
    ],
    final: { tp: 2 },
  },
];

for (const s of scripts) {
  test(`quorum: ${s.name}`, (t) => {
    const q = new ProcessQuorum(s.specs);
    for (const [i, step] of s.steps.entries()) {
      let got: QuorumChange[];
      if ('scan' in step) got = q.scan(step.scan, step.at, step.initial ?? false);
      else if ('ev' in step) got = q.apply(step.ev, step.at);
      else got = q.expire(step.at);
      t.deepEqual(got, step.want, `step ${i} at ${step.at}`);
    }
    for (const [name, count] of Object.entries(s.final ?? {})) {
      t.is(q.status().find((x) => x.name === name)?.count, count, `${name} count`);
    }
  });
}

test('quorum: nextDeadline is the earliest running delay, and the status shows it', (t) => {
  const q = new ProcessQuorum([spec({ terminateDelayMs: 300 }), spec({ name: 'b', terminateDelayMs: 100 })]);
  q.scan([proc(1, 'haproxy')], 0, true);
  t.is(q.nextDeadline(), undefined);
  q.apply(exit(1), 50);
  t.is(q.nextDeadline(), 150);
  t.deepEqual(q.status().find((x) => x.name === 'tp')?.waiting, { kind: 'terminate', at: 350 });
  t.deepEqual(q.expire(150), [down('b')]);
  t.is(q.nextDeadline(), 350);
});
