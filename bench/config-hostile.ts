// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): hostile configurations given to the real `bin/lvsd check-config`, one
 * process each: the cases of test/unit/config/hostile.test.ts plus files of about 60 MB that stay
 * under the 64 MiB byte limit and stress each path of the lexer (blank, whitespace, comment,
 * conditional, continued and definition lines, braces). Records exit, wall time and peak RSS
 * (VmHWM) in bench/results/config-hostile.md. Targets (issue 10): exit 1 or 0, no abort, peak
 * RSS <= 512 MB, <= 10 s each.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostileCase, caseDir, hostileCases, runCheckConfig } from '../test/fixtures/conf/hostile.js';

/** A file of `line` repeated to about 60 MB. */
function sixty(name: string, line: string): HostileCase {
  return {
    name: `60 MB of ${JSON.stringify(line)} lines`,
    make(dir) {
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, line.repeat(Math.floor(60_000_000 / line.length)));
      return file;
    },
  };
}

const cases: HostileCase[] = [
  ...hostileCases,
  sixty('blank', '\n'),
  sixty('spaces', ' \n'),
  sixty('comments', '# a comment line\n'),
  sixty('conditionals', '@other x y z\n'),
  sixty('continued', '\\\n'),
  sixty('closing-braces', '}\n'),
  {
    name: '4.6 million distinct parameter definitions (54 MB)',
    make(dir) {
      const file = join(dir, 'defs.conf');
      const lines: string[] = [];
      for (let i = 0; i < 4_600_000; i++) lines.push(`$A${i}=x`);
      writeFileSync(file, lines.join('\n'));
      return file;
    },
  },
];

const base = mkdtempSync(join(tmpdir(), 'lvsd-bench-hostile-'));
const rows: string[] = [];
try {
  for (const [i, c] of cases.entries()) {
    const dir = caseDir(base, i);
    const r = await runCheckConfig(c.make(dir), dir, 60_000);
    rmSync(dir, { recursive: true, force: true });
    const first = r.stderr.split('\n')[0]?.replaceAll(`${dir}/`, '') ?? '';
    const peak = r.peakMb === undefined ? 'none (did not exit normally)' : r.peakMb.toFixed(0);
    process.stdout.write(
      `${c.name}: exit ${r.exit}, ${r.ms.toFixed(0)} ms, peak RSS ${peak} MB\n  ${first}\n`,
    );
    rows.push(
      `| ${c.name} | ${r.exit} | ${r.ms.toFixed(0)} | ${peak} | ${first.slice(0, 160).replaceAll('|', '\\|')} |`,
    );
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const md =
  '# config-hostile\n\n' +
  'Hostile configurations given to `bin/lvsd check-config` (one process each; wall time includes Node ' +
  'start-up, about 0.1 s). Peak RSS is VmHWM from /proc at exit. Targets: no abort, peak RSS <= 512 MB, ' +
  '<= 10 s each.\n\n' +
  `${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs, host ${hostname()}), ` +
  `node ${process.version}, load average ${loadavg()[0]?.toFixed(1) ?? '?'}\n\n` +
  '| input | exit | wall ms | peak RSS MB | first line of stderr |\n|---|---|---|---|---|\n' +
  `${rows.join('\n')}\n\n` +
  'Reproduce: `npm run bench config-hostile`.\n';
const results = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(results, { recursive: true });
writeFileSync(`${results}config-hostile.md`, md);
