// SPDX-License-Identifier: Apache-2.0
/**
 * The notify-FIFO reader scripts (src/script/fifo-readers.io.ts): which worker starts which
 * (keepalived's rules for shared FIFOs, the global one started once), and real runs (no root): the
 * FIFO path as the last argument, no timeout, kept across an unchanged reload, replaced when changed,
 * killed with its process group at stop, not restarted when it ends (until a reload), a failed start
 * counted.
 */
import test from 'ava';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/log.js';
import type { FifoSpec, ScriptSpec } from '../../../src/config/model.js';
import { FifoReaders, fifoReadersOf, type FifoSettings } from '../../../src/script/fifo-readers.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { alive } from '../../helpers/processes.js';

const loc = { file: 'mem.conf', line: 1, col: 1 };
const cmd = (argv0: string, user?: string): ScriptSpec => ({
  command: argv0,
  argv: [argv0],
  loc,
  ...(user ? { user } : {}),
});
const fifo = (path: string, script?: ScriptSpec): FifoSpec => ({ path, loc, ...(script ? { script } : {}) });
type Row = readonly [
  name: string,
  g: FifoSettings,
  worker: 'vrrp' | 'lvs',
  vrrpRuns: boolean,
  want: string[],
];
const rows: readonly Row[] = [
  [
    'VRRP worker: the global and the VRRP FIFO scripts',
    { notifyFifo: fifo('/g', cmd('/sg')), vrrpNotifyFifo: fifo('/v', cmd('/sv')) },
    'vrrp',
    true,
    ['/sg /g', '/sv /v'],
  ],
  [
    'LVS worker next to a VRRP worker: the LVS script only (the global one runs once, in the VRRP worker)',
    { notifyFifo: fifo('/g', cmd('/sg')), lvsNotifyFifo: fifo('/l', cmd('/sl')) },
    'lvs',
    true,
    ['/sl /l'],
  ],
  [
    'LVS worker alone: the global and the LVS script',
    { notifyFifo: fifo('/g', cmd('/sg')), lvsNotifyFifo: fifo('/l', cmd('/sl')) },
    'lvs',
    false,
    ['/sg /g', '/sl /l'],
  ],
  [
    'a VRRP FIFO that is the global one is the global one',
    { notifyFifo: fifo('/g', cmd('/sg')), vrrpNotifyFifo: fifo('/g', cmd('/sv')) },
    'vrrp',
    true,
    ['/sg /g'],
  ],
  [
    'an LVS FIFO that is the VRRP FIFO, both with scripts: the VRRP one only',
    { vrrpNotifyFifo: fifo('/f', cmd('/sv')), lvsNotifyFifo: fifo('/f', cmd('/sl')) },
    'lvs',
    true,
    [],
  ],
  [
    'the same without a VRRP worker: the LVS one',
    { vrrpNotifyFifo: fifo('/f', cmd('/sv')), lvsNotifyFifo: fifo('/f', cmd('/sl')) },
    'lvs',
    false,
    ['/sl /f'],
  ],
  ['a FIFO without a script: nothing', { vrrpNotifyFifo: fifo('/v') }, 'vrrp', true, []],
];

for (const [name, g, worker, vrrpRuns, want] of rows) {
  test(`fifoReadersOf: ${name}`, (t) => {
    const got = fifoReadersOf(g, worker, vrrpRuns).map((r) => `${r.script.argv.join(' ')} ${r.fifo}`);
    t.deepEqual(got, want);
  });
}

test('fifoReadersOf: script_user is the default user of a reader', (t) => {
  const g: FifoSettings = {
    vrrpNotifyFifo: fifo('/v', cmd('/sv')),
    notifyFifo: fifo('/g', cmd('/sg', 'nobody')),
    scriptUser: { user: 'lvsd-script', group: 'lvsd' },
  };
  t.deepEqual(
    fifoReadersOf(g, 'vrrp', true).map((r) => [r.script.user, r.script.group]),
    [
      ['nobody', undefined],
      ['lvsd-script', 'lvsd'],
    ],
  );
});

/** A reader script that records its pid and arguments, then reads until killed. */
function scratch(t: { teardown(fn: () => void): void }): { dir: string; script: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-fifo-readers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'reader.sh');
  writeFileSync(script, `#!/bin/sh\necho "$$ $#:$*" > "$(dirname "$0")/started.$$"\nexec sleep 1000\n`);
  chmodSync(script, 0o755);
  return { dir, script };
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startedRecords(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('started.'))
    .map((f) => readFileSync(join(dir, f), 'utf8').trim());
}

test('a reader runs with the FIFO path as its last argument, is kept by an unchanged apply, killed at stop', async (t) => {
  const { dir, script } = scratch(t);
  const readers = new FifoReaders({ runner: new ScriptRunner({ termGraceMs: 200 }), log: silentLogger });
  const fifo = join(dir, 'fifo');
  await readers.apply([{ fifo, script: { argv: [script, 'first'] } }]);
  const [rec] = await until(
    'the reader started',
    () => startedRecords(dir).length === 1 && startedRecords(dir),
  );
  const [, pid, args] = /^(\d+) (.*)$/.exec(rec ?? '') ?? [];
  t.is(args, `2:first ${fifo}`);
  await readers.apply([{ fifo, script: { argv: [script, 'first'] } }]);
  t.is(readers.counters.started, 1, 'an unchanged reader keeps running');
  t.true(alive(Number(pid)));
  await readers.stop();
  t.is(readers.running, 0);
  await until('the reader gone', () => !alive(Number(pid)));
  t.pass();
});

test('a changed reader replaces the old one; one that ends is not started again; a failed start is counted', async (t) => {
  const { dir, script } = scratch(t);
  const lines: string[] = [];
  const log: Logger = {
    ...silentLogger,
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
  };
  const readers = new FifoReaders({ runner: new ScriptRunner({ termGraceMs: 200 }), log });
  const fifo = join(dir, 'fifo');
  await readers.apply([{ fifo, script: { argv: [script, 'a'] } }]);
  await until('the first reader', () => startedRecords(dir).length === 1);
  const firstPid = Number(startedRecords(dir)[0]?.split(' ')[0]);
  await readers.apply([{ fifo, script: { argv: [script, 'b'] } }]);
  await until('the second reader', () => startedRecords(dir).length === 2);
  t.false(alive(firstPid), 'the old reader was stopped before the new one started');
  t.is(readers.running, 1);
  await readers.stop();

  const quick = join(dir, 'quick.sh');
  writeFileSync(quick, '#!/bin/sh\nexit 3\n');
  chmodSync(quick, 0o755);
  await readers.apply([{ fifo, script: { argv: [quick] } }]);
  await until('the quick reader ended', () => readers.running === 0);
  await readers.apply([{ fifo, script: { argv: [quick] } }]);
  t.is(readers.counters.started, 4, 'an ended reader is started again only by a reload (as keepalived)');
  await until('ended twice', () => lines.filter((l) => l === 'warn notify FIFO script ended').length === 2);

  await readers.apply([{ fifo, script: { argv: [join(dir, 'missing.sh')] } }]);
  await until('the failed start', () => readers.counters.failed === 1);
  t.true(lines.includes('error notify FIFO script not started'));
  t.false(existsSync(join(dir, 'missing.sh')));
  await readers.stop();
});
