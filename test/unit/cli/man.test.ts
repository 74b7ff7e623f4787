// SPDX-License-Identifier: Apache-2.0
// The man pages: lvsd(8) documents every command and option the program has, and `npm run man`
// renders both pages from docs/ (lvsd.conf(5) carrying the whole of docs/config.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { Command, Option } from 'commander';
import { CliRun } from '../../../src/cli/command.js';
import { captureIo } from '../../../src/cli/io.js';
import { buildProgram } from '../../../src/cli/program.js';
import { LVSD_VERSION } from '../../../src/core/version.js';

const repo = new URL('../../../../', import.meta.url).pathname;
const page = readFileSync(join(repo, 'docs/lvsd.8.md'), 'utf8');

test('lvsd(8) names every command and every option', (t) => {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(buildProgram(new CliRun(captureIo())))) {
    if (c.parent) t.true(page.includes(`\`${c.name()}\``), `command ${c.name()}`);
    for (const o of (c.options as Option[]).filter((x) => !x.hidden)) {
      for (const flag of [o.short, o.long]) {
        if (flag !== undefined) t.true(page.includes(`\`${flag}\``), `${flag} of ${c.name()}`);
      }
    }
  }
});

test('npm run man renders both pages from docs/', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lvsd-man-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync('bash', [join(repo, 'scripts/man.sh'), out], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const lvsd8 = readFileSync(join(out, 'lvsd.8'), 'utf8');
  const conf5 = readFileSync(join(out, 'lvsd.conf.5'), 'utf8');
  t.regex(lvsd8, new RegExp(`^\\.TH "LVSD" "8" "[^"]+" "lvsd ${LVSD_VERSION}" "lvsd manual"\n`));
  t.regex(conf5, /^\.TH "LVSD\\\.CONF" "5" /);
  for (const section of [
    'SYNOPSIS',
    'DESCRIPTION',
    'COMMANDS',
    'OPTIONS',
    'EXIT STATUS',
    'FILES',
    'SEE ALSO',
  ])
    t.regex(lvsd8, new RegExp(`^\\.SH ${section}$`, 'm'), section);
  // Every section of docs/config.md is a section of lvsd.conf(5); no HTML entity reaches roff.
  const config = readFileSync(join(repo, 'docs/config.md'), 'utf8');
  for (const [, heading] of config.matchAll(/^## (.+)$/gm)) {
    const plain = heading!.replaceAll('`', '');
    t.true(conf5.includes(`.SH ${plain}`), plain);
  }
  t.notRegex(lvsd8 + conf5, /&(quot|amp|lt|gt|#39);/);
});
