// SPDX-License-Identifier: Apache-2.0
// An operator's `lvsd run` line read without commander (src/cli/run-argv.ts): whatever it accepts,
// commander reads as the same options; the lines operators and the systemd unit type are accepted
// (else the fast path would be dead code); anything doubtful is left to commander.
import test from 'ava';
import fc from 'fast-check';
import type { CliRun } from '../../../src/cli/command.js';
import { runOne } from '../../../src/cli/command.js';
import type { RunCommandOptions } from '../../../src/cli/commands/run-daemon.js';
import { register } from '../../../src/cli/commands/run.js';
import { captureIo } from '../../../src/cli/io.js';
import { readRunArgv } from '../../../src/cli/run-argv.js';

/** The options commander hands `run`'s action for `argv`, or undefined when it runs no action. */
async function byCommander(argv: readonly string[]): Promise<RunCommandOptions | undefined> {
  let seen: RunCommandOptions | undefined;
  const io = captureIo();
  await runOne(
    (parent, cli: CliRun) =>
      register(parent, cli, (o) => {
        seen = o;
        return Promise.resolve(0);
      }),
    argv,
    io,
  );
  return seen;
}

/** Keys commander leaves undefined are as good as absent. */
const defined = (o: object | undefined): object | undefined =>
  o && Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const words = [
  '-f',
  'a.conf',
  '--file',
  '--file=b.conf',
  '-fc.conf',
  '--file=',
  '-i',
  'lb1',
  '--config-id',
  '--config-id=lb2',
  '--run-dir',
  '/tmp/r',
  '--run-dir=/run/x',
  '--lenient',
  '--metrics',
  '127.0.0.1:9100',
  '--metrics=[::1]:9',
  '--metrics=nowhere:1',
  '--metrics=1.2.3.4:0',
  '--realtime',
  '--no-realtime',
  '--vrrp-only',
  '--check-only',
  '--no-lenient',
  '--no-vrrp-only',
  '--help',
  '-h',
  'extra',
  '--',
  '--model',
  'm.json',
  '--await-model',
  '-x',
  '--unknown',
  '-fi',
  '-',
  '--realtime=yes',
];

test('whatever the fast reader accepts, commander reads the same', async (t) => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...words), { maxLength: 7 }), async (argv) => {
      const fast = readRunArgv(argv);
      if (fast === undefined) return;
      accepted++;
      t.deepEqual(defined(fast), defined(await byCommander(argv)), argv.join(' '));
    }),
    { numRuns: 600 },
  );
  t.true(accepted > 50, `only ${accepted} of 600 lines took the fast path`);
});

test('the lines operators and the systemd unit type take the fast path, as commander reads them', async (t) => {
  const lines = [
    [],
    ['-f', '/etc/lvsd/lvsd.conf', '--realtime'],
    ['-f', '/etc/lvsd/lvsd.conf', '--realtime', '--no-realtime'],
    ['-f', 'x.conf', '-i', 'lb1', '--run-dir', '/tmp/lvsd', '--lenient'],
    ['--file=x.conf', '--metrics', '127.0.0.1:9100'],
    ['--metrics=[::1]:9100'],
    ['-f', 'x.conf', '--vrrp-only'],
    ['-f', 'x.conf', '--check-only', '--realtime'],
  ];
  for (const argv of lines) {
    const fast = readRunArgv(argv);
    t.not(fast, undefined, argv.join(' '));
    t.deepEqual(defined(fast), defined(await byCommander(argv)), argv.join(' '));
  }
  t.like(readRunArgv([]), { file: '/etc/lvsd/lvsd.conf' });
  t.like(readRunArgv(['--realtime', '--no-realtime']), { realtime: false });
});

test('doubtful lines are left to commander (its usage errors and help)', (t) => {
  for (const argv of [
    ['--help'],
    ['-h'],
    ['extra'],
    ['--', '-f', 'x'],
    ['--vrrp-only', '--check-only'],
    ['--metrics', '127.0.0.1:9100', '--vrrp-only'],
    ['--metrics', 'nowhere'],
    ['--no-lenient'],
    ['-f'],
    ['-f', '--lenient'],
    ['--model', 'm.json'],
    ['--await-model'],
    ['--unknown'],
  ])
    t.is(readRunArgv(argv), undefined, argv.join(' '));
});
