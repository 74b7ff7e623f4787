// SPDX-License-Identifier: Apache-2.0
// The command line as an operator meets it: --version, --help on every command, `lvsd help CMD`,
// usage errors (exit 2 with the command's usage line), the same flag names everywhere, and
// `lvsd ipvs` left to ipvsadm's own parser.
import test from 'ava';
import type { Command, Option } from 'commander';
import { CliRun } from '../../../src/cli/command.js';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { buildProgram } from '../../../src/cli/program.js';
import { LVSD_VERSION } from '../../../src/core/version.js';

async function lvsd(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

/** Every command below `lvsd` as its words: ['run'], ['real', 'drain'], ... (ipvs left out). */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands
    .filter((c) => c.name() !== 'ipvs')
    .flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}
const program = buildProgram(new CliRun(captureIo()));
const paths = commandPaths(program);

test('--version and -V print the version and exit 0', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = await lvsd(flag);
    t.is(r.code, 0);
    t.regex(r.out, new RegExp(`^lvsd ${LVSD_VERSION.replaceAll('.', '\\.')} \\(node v\\d+\\.`));
  }
});

test('the commands are there', (t) => {
  t.deepEqual(paths.map((p) => p.join(' ')).sort(), [
    'check-config',
    'completion',
    'drain',
    'drill',
    'drill back',
    'drill failover',
    'real',
    'real drain',
    'real enable',
    'reload',
    'run',
    'status',
    'undrain',
  ]);
});

test('-h and --help on every command print its usage on stdout and exit 0; `lvsd help CMD` is the same', async (t) => {
  for (const p of [[], ...paths]) {
    for (const flag of ['-h', '--help']) {
      const r = await lvsd(...p, flag);
      t.is(r.code, 0, p.join(' '));
      t.true(r.out.startsWith(`usage: ${['lvsd', ...p].join(' ')} `), r.out);
      t.is(r.err, '');
    }
    if (p.length === 0) continue;
    const viaHelp = await lvsd('help', ...p);
    t.is(viaHelp.code, 0);
    t.is(viaHelp.out, (await lvsd(...p, '--help')).out);
  }
});

test('a usage error exits 2 and prints the message and the usage line on stderr', async (t) => {
  for (const p of paths) {
    if (p.length === 1 && p[0] === 'real') continue; // a command with subcommands: below
    const r = await lvsd(...p, '--no-such-flag');
    t.is(r.code, 2, p.join(' '));
    t.is(r.out, '');
    t.is(
      r.err,
      `lvsd ${p.join(' ')}: unknown option '--no-such-flag'\nusage: lvsd ${p.join(' ')} ${usageOf(p)}\n`,
    );
  }
  const cases: Array<[string[], RegExp]> = [
    [[], /^usage: lvsd COMMAND/],
    [['frobnicate'], /^lvsd: unknown command 'frobnicate'\nusage: lvsd COMMAND/],
    [['help', 'frobnicate'], /^lvsd: unknown command 'frobnicate'\n/],
    [['real'], /^usage: lvsd real drain\|enable VS RS/],
    [['real', 'pause', 'x', 'y'], /^lvsd real: unknown command 'pause'\nusage: lvsd real /],
    [
      ['real', 'drain', 'tcp:10.0.0.1:80'],
      /^lvsd real drain: missing required argument 'RS'\nusage: lvsd real drain VS RS/,
    ],
    [['real', 'drain', 'a', 'b', 'c'], /^lvsd real drain: too many arguments/],
    [
      ['real', 'drain', 'web:80', '10.0.0.1:80'],
      /^lvsd real drain: 'web:80' names no virtual server\nusage: /,
    ],
    [['real', 'enable', 'fwmark:1', 'fwmark:2'], /^lvsd real enable: 'fwmark:2' names no real server\n/],
    [
      ['run', '--vrrp-only', '--check-only'],
      /^lvsd run: option '--vrrp-only' cannot be used with option '--check-only'\n/,
    ],
    [['check-config', '-f'], /^lvsd check-config: option '-f, --file <FILE>' argument missing\n/],
    [['completion', 'tcsh'], /^lvsd completion: .*'tcsh' is invalid/],
    [['status', 'extra'], /^lvsd status: too many arguments/],
  ];
  for (const [argv, err] of cases) {
    const r = await lvsd(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.regex(r.err, err);
  }
});

function usageOf(p: string[]): string {
  let c: Command = program;
  for (const name of p) c = c.commands.find((x) => x.name() === name)!;
  return c.usage();
}

test('flags mean the same in every command that has them', (t) => {
  const seen = new Map<string, { short: string | undefined; flags: string; where: string }>();
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    for (const o of c.options as Option[]) {
      if (o.long === undefined) continue;
      const prev = seen.get(o.long);
      if (prev)
        t.deepEqual(
          [o.short, o.flags],
          [prev.short, prev.flags],
          `${o.long} in ${c.name()} and ${prev.where}`,
        );
      else seen.set(o.long, { short: o.short, flags: o.flags, where: c.name() });
    }
  }
  t.is(seen.get('--file')?.short, '-f');
  t.is(seen.get('--config-id')?.short, '-i');
  t.truthy(seen.get('--run-dir'));
  t.truthy(seen.get('--json'));
  // Every command that talks to the running daemon takes --run-dir.
  for (const p of [['status'], ['reload'], ['real', 'drain'], ['real', 'enable'], ['run']]) {
    let c: Command = program;
    for (const name of p) c = c.commands.find((x) => x.name() === name)!;
    t.true(
      c.options.some((o) => o.long === '--run-dir'),
      p.join(' '),
    );
  }
});

test('lvsd ipvs gets its arguments verbatim: ipvsadm parses them, with its own messages', async (t) => {
  const help = await lvsd('ipvs', '-h');
  t.is(help.code, 0);
  t.regex(help.out, /^Usage:\n {2}lvsd ipvs \[ipvsadm arguments\]/);
  t.is((await lvsd('help', 'ipvs')).out, help.out);
  t.is((await lvsd('ipvs', '--help')).out, help.out);
  const version = await lvsd('ipvs', '--version');
  t.is(version.out, 'lvsd ipvs: ipvsadm v1.31 compatible (netlink, IPVS v1.2.1)\n');
  // ipvsadm's own message, not commander's (and `-V`, lvsd's --version, is not an ipvsadm option).
  const bad = await lvsd('ipvs', '-V');
  t.is(bad.code, 2);
  t.is(bad.err, "Try `lvsd ipvs -h' or 'lvsd ipvs --help' for more information.\n");
  const missing = await lvsd('ipvs', '-A', '-t');
  t.is(missing.code, 2);
  t.notRegex(missing.err, /usage: lvsd/);
});
