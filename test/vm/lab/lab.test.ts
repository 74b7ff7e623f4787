// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): the failover lab's short form, as
// `npm run lab -- --short` runs it, in the VM layer's boot. It must end with exactly one `lab:` line
// in the documented format, write a timeline SVG that an XML parser accepts, report both directors'
// `lvsd status`, and leave none of its namespaces behind; a lab that fails must clean up too. The
// ECMP lab (`--ecmp --short`) too, with its own closing line.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { XMLValidator } from 'fast-xml-parser';
import { ecmpLabLinePattern, labLinePattern } from '../../../scripts/lab/report.js';

const mainJs = fileURLToPath(new URL('../../../scripts/lab/main.js', import.meta.url));

interface Run {
  code: number | null;
  pid: number;
  stdout: string;
  stderr: string;
}

function lab(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, pid: p.pid!, stdout, stderr }));
  });
}

/** The namespaces a lab process made (ha-lab names them `lv<pid>x<n><tag>`) that still exist. */
function leftNamespaces(pid: number): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`lv${pid}x`));
}

/**
 * Processes still running with the lab's directory on their command line (ha-lab: `lve2e<pid>-…`,
 * the ECMP lab's bgp-lab: `lvbgp<pid>-…`).
 */
function leftProcesses(pid: number): string[] {
  const left: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(`lve2e${pid}-`) || cmd.includes(`lvbgp${pid}-`)) left.push(`${p}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return left;
}

test.serial(
  'the short lab ends with the lab: line, writes a well-formed SVG timeline and cleans up',
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'lvsd-lab-'));
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    const r = await lab(['--short', '--out', out]);
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trimEnd().split('\n');
    t.regex(lines[lines.length - 1] ?? '', labLinePattern);
    t.is(lines.filter((l) => l.startsWith('lab:')).length, 1);
    // one progress line per phase, as it happened
    for (const [i, phase] of [
      'election',
      'stopped',
      'started again',
      'reload',
      'killed',
      'preempts',
    ].entries())
      t.regex(r.stdout, new RegExp(`^\\[ *[0-9.]+ s\\] ${i + 1}/6 .*${phase}`, 'm'));
    const svg = readFileSync(join(out, 'timeline.svg'), 'utf8');
    t.true(XMLValidator.validate(svg) === true, 'timeline.svg is well-formed XML');
    t.regex(svg, /^<svg /);
    for (const text of ['lvs1', 'lvs2', 'MASTER', 'BACKUP', 'requests/s'])
      t.true(svg.includes(`>${text}<`), text);
    const report = readFileSync(join(out, 'report.txt'), 'utf8');
    t.regex(report, /--- lvsd status on lvs1\nVRRP\n/);
    t.regex(report, /--- lvsd status on lvs2\nVRRP\n/);
    t.true(report.trimEnd().endsWith(lines[lines.length - 1]!));
    t.deepEqual(leftNamespaces(r.pid), []);
    t.deepEqual(leftProcesses(r.pid), []);
    t.log(lines[lines.length - 1]);
  },
);

test.serial('a lab that fails exits 1 and still removes its namespaces and processes', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lvsd-lab-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = await lab(['--short', '--out', out, '--fail-after', 'election']);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /lab failed: .*--fail-after election/);
  t.false(/^lab:/m.test(r.stdout));
  t.deepEqual(leftNamespaces(r.pid), []);
  t.deepEqual(leftProcesses(r.pid), []);
});

test.serial(
  'the short ECMP lab ends with the lab ecmp: line, draws the router next hops and cleans up',
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'lvsd-lab-'));
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    const r = await lab(['--ecmp', '--short', '--out', out]);
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trimEnd().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const m = ecmpLabLinePattern.exec(last);
    t.truthy(m, last);
    t.is(lines.filter((l) => l.startsWith('lab')).length, 1);
    // a drain withdraws before the director stops taking flows: no request fails
    t.is(m?.[5], '0', 'requests failed during the drain');
    for (const [i, phase] of ['announce', 'quorum', 'reachable again', 'drain', 'undrain', 'dies'].entries())
      t.regex(r.stdout, new RegExp(`^\\[ *[0-9.]+ s\\] ${i + 1}/6 .*${phase}`, 'm'));
    t.regex(
      r.stdout,
      /d1 keeps its failed reals at weight 0 \(not deleted\): 10\.1\.0\.11:80, 10\.1\.0\.12:80/,
    );
    const svg = readFileSync(join(out, 'timeline.svg'), 'utf8');
    t.true(XMLValidator.validate(svg) === true, 'timeline.svg is well-formed XML');
    for (const text of ['d1', 'd2', 'd3', 'ANNOUNCED', 'WITHDRAWN', 'router next hop'])
      t.true(svg.includes(`>${text}<`), text);
    const report = readFileSync(join(out, 'report.txt'), 'utf8');
    t.regex(report, /--- lvsd status on d1\n[\s\S]*\nBGP\n/);
    t.regex(report, /served by r1 \d+, r2 \d+, r3 \d+/);
    t.true(report.trimEnd().endsWith(last));
    t.deepEqual(leftNamespaces(r.pid), []);
    t.deepEqual(leftProcesses(r.pid), []);
    t.log(last);
  },
);
