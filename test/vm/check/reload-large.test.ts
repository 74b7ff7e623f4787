// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): a large file (past what the supervisor
// validates itself, validate-here.ts) reloaded under `lvsd run`: the validating child started ahead
// parses the file while it waits; one real's weight edited, SIGHUP: it parses that virtual server
// alone (config/incremental.ts; the log's `parsed=statements:1`) and hands the LVS worker a delta of
// that virtual server before model.json (`delta=1`: daemon/model-file.ts), the kernel gets the new
// weight, the other virtual server is left as it was, and model.json is then replaced whole (the
// delta removed). Then a `global_defs` edit: parsed whole, no delta (another context), applied.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { processIdle, standbyValidator } from '../../fakes/process-idle.js';
import { start } from './daemons.js';
import { createLab, waitTable } from './lab.js';

const bin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));

/** 320 KB of comment lines: the file is large (validated by a child), its model small. */
const padding = Array.from(
  { length: 4000 },
  (_, i) => `# ${String(i).padStart(6, '0')} ${'x'.repeat(70)}`,
).join('\n');

const vs = (addr: string, weight: number): string => `
virtual_server ${addr} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 10.9.0.2 80 {
    weight ${weight}
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

const conf = (weight: number, routerId = 'lb1'): string =>
  `global_defs {\n  router_id ${routerId}\n}\n${padding}\n${vs('10.9.9.9', 1)}${vs('10.9.9.10', weight)}`;

const table = (weight: number): string[] => [
  '-A -t 10.9.9.10:80 -s wrr',
  `-a -t 10.9.9.10:80 -r 10.9.0.2:80 -m -w ${weight}`,
  '-A -t 10.9.9.9:80 -s wrr',
  '-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1',
];

async function until<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a large file edited in one virtual server: that statement alone parsed again, the kernel changed in it alone', async (t) => {
  const lab = createLab(['10.9.0.2']);
  t.teardown(() => lab.close());
  await lab.startHttp('10.9.0.2');
  const file = join(lab.dir, 'lvsd.conf');
  writeFileSync(file, conf(1));
  const d = start(lab, process.execPath, [bin, 'run', '-f', file], {
    LVSD_RUN_DIR: lab.dir,
    LVSD_STATE_DIR: lab.dir,
    LVSD_CONTROL_SOCKET: join(lab.dir, 'lvsd.sock'),
  });
  t.teardown(() => d.stop());
  await waitTable(lab.director, table(1), 90_000);
  const supervisor = await until('the supervisor pid', () => d.proc.pid, 1000);

  // the child started ahead has read the file as it runs and waits
  const waiting = await until('a validating child waits', () => standbyValidator(file), 60_000);
  t.true(await processIdle(waiting, 1000, 120_000), 'it read the file and waits');
  writeFileSync(file, conf(4));
  process.kill(supervisor, 'SIGHUP');
  const took = await waitTable(lab.director, table(4), 60_000);
  t.log(`weight applied ${took} ms after SIGHUP`);
  // (`ahead:1` when the emulated machine was slow enough for the waiting child to read the edit
  // before the reload's `go`: the same reading, made earlier; check-config.ts readingAhead)
  await until('the reload logged', () => /reloaded.*parsed=(statements|ahead):1/.test(d.output()), 10_000);
  t.regex(d.output(), /reloaded.*parsed=(statements|ahead):1/, 'one statement parsed again');
  t.regex(d.output(), /reloaded.*delta=1/, 'the worker handed a delta of one virtual server');
  const modelJson = join(lab.dir, 'model.json');
  await until(
    'model.json replaced whole',
    () => readFileSync(modelJson, 'utf8').includes('"weight":4'),
    10_000,
  );
  t.false(existsSync(join(lab.dir, 'model.delta.json')), 'the delta removed with it');

  // an edit outside the virtual servers: parsed whole, still applied
  const next = await until(
    'the next child waits',
    () => {
      const p = standbyValidator(file);
      return p !== undefined && p !== waiting ? p : undefined;
    },
    60_000,
  );
  t.true(await processIdle(next, 1000, 120_000));
  const reloadedLines = (): string[] => d.output().match(/.*reloaded proc=supervisor.*/g) ?? [];
  const first = reloadedLines().length;
  writeFileSync(file, conf(3, 'lb2'));
  process.kill(supervisor, 'SIGHUP');
  await waitTable(lab.director, table(3), 60_000);
  const second = await until('the second reload logged', () => reloadedLines()[first], 10_000);
  t.regex(second, /parsed=(whole|ahead):\d+/, 'parsed whole (at the reload or ahead of it)');
  t.notRegex(second, /delta=/, 'global_defs changed: model.json whole, no delta');
});
