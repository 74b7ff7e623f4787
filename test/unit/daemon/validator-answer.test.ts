// SPDX-License-Identifier: Apache-2.0
// A validating child that writes the model files (validate-config.ts) answers with one line once
// they are in place: the supervisor takes that line as it comes, without waiting for the child to
// exit; anything else it waits for the exit as before. A child process stands in (a fake: what is
// tested is the supervisor's reading of its output, not the child).
import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { type ValidatorProcess, validatorAnswer } from '../../../src/daemon/validate-config.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-answer-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A child that said `line` and has not exited (its `done` resolves only when told). */
function saying(
  line: string | undefined,
  name: string,
): { v: ValidatorProcess; exit(out: string, code?: number): void } {
  const at = (kind: string): string => join(dir, `${name}${kind}.json`);
  const written = { whole: at(''), vrrp: at('.vrrp'), delta: at('.delta') };
  let exit: (out: string, code?: number) => void = () => {};
  let exited = false;
  const done = new Promise<{ out: Buffer; code: number | null; signal: null }>((resolve) => {
    exit = (out, code = 1) => {
      exited = true;
      resolve({ out: Buffer.from(out), code, signal: null });
    };
  });
  const child = Object.assign(new EventEmitter(), { pid: 0, kill: () => true }) as unknown as ChildProcess;
  const firstLine = Promise.resolve(line === undefined ? undefined : Buffer.from(line));
  return { v: { child, done, firstLine, written, exited: () => exited }, exit };
}

const o = {
  configFile: '/etc/lvsd/lvsd.conf',
  configId: undefined,
  view: 'files' as const,
  timeoutMs: 60_000,
};
const view = '{"global":{},"virtualServerLines":0}\n';

test('a written answer is taken from its line while the child is still exiting', async (t) => {
  const c = saying(
    '{"diagnostics":[],"model":true,"written":true,"parsed":{"way":"statements","parsed":1}}\n',
    'a',
  );
  writeFileSync(c.v.written!.vrrp, view);
  writeFileSync(c.v.written!.whole, view);
  const { result, silent } = await validatorAnswer(c.v, o);
  t.false(c.v.exited(), 'answered before the child exited');
  t.false(silent);
  t.deepEqual(result.written, { whole: c.v.written!.whole, vrrp: c.v.written!.vrrp });
  t.is(result.wholeWritten, undefined, 'model.json written before the answer');
  t.deepEqual(result.parsed, { way: 'statements', parsed: 1 });
  t.truthy(result.model);
});

test('a delta answer: taken from its line; whether model.json was written, from the exit', async (t) => {
  for (const code of [0, 1]) {
    const c = saying('{"diagnostics":[],"model":true,"written":true,"delta":1}\n', `d${code}`);
    writeFileSync(c.v.written!.vrrp, view);
    writeFileSync(c.v.written!.delta, view);
    const { result } = await validatorAnswer(c.v, o);
    t.false(c.v.exited(), 'answered before the child exited');
    t.deepEqual(result.written?.delta, { path: c.v.written!.delta, lines: 1 });
    let whole: boolean | undefined;
    void result.wholeWritten?.then((w) => (whole = w));
    await new Promise((r) => setTimeout(r, 20));
    t.is(whole, undefined, 'model.json still being written');
    c.exit('', code);
    t.is(await result.wholeWritten, code === 0, `exit ${code}`);
  }
});

test('a refused file: its findings from the line, nothing left written', async (t) => {
  const d = { severity: 'error', code: 'LVSD_E_CONFIG_INVALID', message: 'bad', file: 'f', line: 1, col: 1 };
  const c = saying(`${JSON.stringify({ diagnostics: [d], model: false })}\n`, 'b');
  const { result } = await validatorAnswer(c.v, o);
  t.false(c.v.exited());
  t.is(result.model, undefined);
  t.deepEqual(result.diagnostics, [d]);
  t.is(result.written, undefined);
});

test('a line that is not an answer: the exit is waited for, and says why', async (t) => {
  const c = saying('Segmentation fault\n', 'c');
  const answer = validatorAnswer(c.v, o);
  let settled = false;
  void answer.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  t.false(settled, 'still waiting for the exit');
  c.exit('Segmentation fault\n');
  const { result } = await answer;
  t.is(result.model, undefined);
  t.regex(result.diagnostics[0]?.message ?? '', /validator failed \(exit 1\)/);
});
