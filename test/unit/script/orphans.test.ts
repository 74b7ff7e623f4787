// SPDX-License-Identifier: Apache-2.0
/**
 * Real processes, no root: for each kind of script lvsd runs (VRRP notify, vrrp_script tracker,
 * MISC_CHECK, checker notify/quorum script), 20 runs of `sh -c 'sleep M & sleep M'` that time out
 * leave no process behind (M, an odd sleep length, marks this test's processes in /proc) and no
 * unreaped child. Before the script runner, a timed-out notify or vrrp_script left both sleeps.
 * (A run that timed out had started both sleeps: `sleep M` with a bad M would have exited at once.)
 */
import test from 'ava';
import { checkerNotifyScripts, miscProbe } from '../../../src/check/misc.io.js';
import { parseConfigText, formatDiagnostic } from '../../../src/config/load.io.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { startTrackers } from '../../../src/vrrp/trackers.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import type { TrackerInput } from '../../../src/vrrp/tracking.js';
import { Notifier } from '../../../src/vrrp/notifier.io.js';
import { orphanMaker, processesWith, sleepMarker, waitUntil, watchRuns, zombieRuns } from './procs.js';

const RUNS = 20;
const TIMEOUT_MS = 150;

/** After the runs ended: none of the marked processes is alive, and none of the runs is a zombie. */
async function assertNothingLeft(
  t: { is(a: unknown, b: unknown, m?: string): void; deepEqual(a: unknown, b: unknown, m?: string): void },
  marker: string,
  watch: { stop(): Set<number> },
) {
  // SIGKILL is delivered asynchronously: give the kernel a moment, far less than the sleeps' 30 s
  await waitUntil(() => processesWith(marker).length === 0, 3000);
  t.is(processesWith(marker).length, 0, `processes left running with ${marker}`);
  const runs = watch.stop();
  t.is(runs.size > 0, true, 'the runs were seen in /proc');
  // reaping follows the exit by a moment (longer on a loaded machine); a run the runner failed to
  // reap stays a zombie for good
  await waitUntil(() => zombieRuns(runs).length === 0, 10_000);
  t.deepEqual(zombieRuns(runs), [], 'unreaped runs');
}

test.serial('VRRP notify scripts: 20 timed-out runs leave 0 processes', async (t) => {
  const marker = sleepMarker(1);
  const n = new Notifier({ log: silentLogger, timeoutMs: TIMEOUT_MS });
  const watch = watchRuns(marker);
  for (let i = 0; i < RUNS; i++) n.run({ argv: orphanMaker(marker) }, []);
  t.is(n.pending, RUNS);
  t.true(await waitUntil(() => n.pending === 0), 'every run ended');
  t.is(n.counters.timedOut, RUNS);
  await assertNothingLeft(t, marker, watch);
  await n.close();
});

test.serial('vrrp_script trackers: 20 timed-out runs leave 0 processes', async (t) => {
  const marker = sleepMarker(2);
  const conf = Array.from(
    { length: RUNS },
    (_, i) =>
      `vrrp_script chk${i} {\n  script "/bin/sh -c 'sleep ${marker} & sleep ${marker}'"\n` +
      `  interval 60\n  timeout ${TIMEOUT_MS / 1000}\n}\n`,
  ).join('');
  const { model, diagnostics } = parseConfigText(conf, 'orphans.conf', { env: {} });
  if (!model) return t.fail(diagnostics.map(formatDiagnostic).join('; '));
  t.deepEqual(model.vrrpScripts[0]?.script.argv, orphanMaker(marker));
  const seen: TrackerInput[] = [];
  const instance = {
    tracks: (kind: string) => kind === 'script',
    observe: (i: TrackerInput) => seen.push(i),
  };
  const watch = watchRuns(marker);
  const trackers = startTrackers(model, [instance], silentLogger);
  t.true(await waitUntil(() => seen.length === RUNS), 'every script reported');
  t.is(trackers.counters.scriptTimeouts, RUNS);
  t.true(
    seen.every((s) => s.kind === 'script' && !s.ok),
    'a timed-out script is a failure',
  );
  await trackers.stop();
  await assertNothingLeft(t, marker, watch);
});

test.serial('MISC_CHECK: 20 timed-out probes leave 0 processes', async (t) => {
  const marker = sleepMarker(3);
  const scripts = new ScriptRunner();
  const probe = miscProbe({ argv: orphanMaker(marker), timeoutMs: TIMEOUT_MS, dynamic: false }, scripts);
  const watch = watchRuns(marker);
  const results = await Promise.all(Array.from({ length: RUNS }, () => probe()));
  t.true(results.every((r) => !r.ok && r.reason === 'timeout'));
  await assertNothingLeft(t, marker, watch);
});

test.serial('checker notify/quorum scripts: 20 timed-out runs leave 0 processes', async (t) => {
  const marker = sleepMarker(4);
  const scripts = new ScriptRunner();
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
  const runScript = checkerNotifyScripts(scripts, log, TIMEOUT_MS);
  const watch = watchRuns(marker);
  for (let i = 0; i < RUNS; i++) runScript({ argv: orphanMaker(marker) });
  t.is(scripts.running, RUNS);
  t.true(await waitUntil(() => scripts.running === 0), 'every run ended');
  t.is(warnings.length, RUNS, 'each timeout is logged');
  await assertNothingLeft(t, marker, watch);
});

test.serial('stopping the owner kills its runs (no timeout reached) and leaves 0 processes', async (t) => {
  const marker = sleepMarker(5);
  const scripts = new ScriptRunner();
  const watch = watchRuns(marker);
  const ends = Array.from({ length: RUNS }, () =>
    scripts.run({ argv: orphanMaker(marker) }, { timeoutMs: 60_000 }),
  );
  t.teardown(() => scripts.stop());
  // each run: the shell and its two sleeps (the shell's command line has the marker too)
  t.true(await waitUntil(() => processesWith(marker).length >= 2 * RUNS), 'every run started both sleeps');
  watch.scan();
  await scripts.stop();
  t.deepEqual(new Set((await Promise.all(ends)).map((o) => o.kind)), new Set(['aborted']));
  await assertNothingLeft(t, marker, watch);
  t.deepEqual(
    await scripts.run({ argv: ['/bin/true'] }, { timeoutMs: 1000 }),
    { kind: 'aborted' },
    'none after stop',
  );
});
