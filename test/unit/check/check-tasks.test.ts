// SPDX-License-Identifier: Apache-2.0
// CheckTasks.update walks only what a reload changed when it is told (the manager finds the changes
// once a reload), and finds them again when what it is told leads from another spec than the last
// one it ran (a newer reload came in while an older one waited for the kernel).
import test from 'ava';
import { CheckTasks } from '../../../src/check/check-tasks.js';
import { CheckSpecBuilder } from '../../../src/check/spec-builder.js';
import { specChanges } from '../../../src/check/spec-changes.js';
import type { CheckSpec } from '../../../src/check/types.js';
import { withFingerprints } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';

const vs = (addr: string, reals: number): string =>
  `virtual_server ${addr} 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
  Array.from(
    { length: reals },
    (_, i) => `  real_server 10.0.0.${i + 1} 80 {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`,
  ).join('') +
  '}\n';

function specsOf(...texts: string[]): CheckSpec[] {
  const builder = new CheckSpecBuilder();
  return texts.map((text) => {
    const r = parseConfigText(text, '/etc/lvsd/tasks.conf');
    if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
    return builder.build(withFingerprints(r.model));
  });
}

function tasks(): CheckTasks {
  const clock = new FakeClock();
  return new CheckTasks({
    clock,
    timers: clock,
    rng: { next: () => 0.5 },
    logger: silentLogger,
    probes: () => () => Promise.resolve({ ok: true as const }),
    fold: (task) => ({ delayMs: task.checker.timing.delayLoopMs }),
  });
}

// A: web 2 reals, api 2 reals; B: api edited (3 reals); C: web gone, api as in B, mail new (1 real)
const [a, b, c] = specsOf(
  vs('192.0.2.10', 2) + vs('192.0.2.20', 2),
  vs('192.0.2.10', 2) + vs('192.0.2.20', 3),
  vs('192.0.2.20', 3) + vs('192.0.2.30', 1),
) as [CheckSpec, CheckSpec, CheckSpec];

test('the specs: an unchanged virtual server is the same object, an edited one a new one', (t) => {
  t.is(a.virtualServers[0], b.virtualServers[0]);
  t.not(a.virtualServers[1], b.virtualServers[1]);
  t.is(b.virtualServers[1], c.virtualServers[0]);
});

test('told the changes from the spec it runs: the tasks of the new spec', async (t) => {
  const ts = tasks();
  ts.update(a, specChanges({ virtualServers: [], notifyFifos: [] }, a));
  t.is(ts.stats().tasks, 4);
  ts.update(b, specChanges(a, b));
  t.is(ts.stats().tasks, 5);
  ts.update(c, specChanges(b, c));
  t.is(ts.stats().tasks, 4);
  await ts.stop();
});

test('told changes from another spec than the one it runs: found again, the tasks of the new spec', async (t) => {
  const ts = tasks();
  ts.update(a);
  t.is(ts.stats().tasks, 4);
  // B was never given here (its reload was overtaken): B → C's changes would leave A's api with 2 reals
  ts.update(c, specChanges(b, c));
  t.is(ts.stats().tasks, 4, "C's api has 3 reals, its mail 1");
  const fresh = tasks();
  fresh.update(c);
  t.is(ts.stats().tasks, fresh.stats().tasks);
  await ts.stop();
  await fresh.stop();
});
