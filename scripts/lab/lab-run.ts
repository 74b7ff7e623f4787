// SPDX-License-Identifier: Apache-2.0
/**
 * What both labs (the VRRP pair, main.ts, and ECMP, ecmp-lab.ts) do around their walk (I/O): the
 * progress lines stamped with the seconds since the start, the clean-up on SIGINT/SIGTERM, and the
 * outputs: the timeline (SVG, its Vega-Lite spec, the terminal chart) and the report, written to
 * `--out` and returned for printing with the closing `lab` line last; each director's `lvsd status`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Daemon } from '../../test/vm/e2e/ha-lab.js';
import { lvsdBin } from '../../test/vm/e2e/ha-lab.js';
import type { ReportPhase } from './report.js';
import { formatReport } from './report.js';
import type { LaneStyle, TimelineData } from './svg-chart.js';
import { renderSvg, timelineSpec } from './svg-chart.js';
import { terminalChart } from './terminal-chart.js';
import type { RequestRecord, StateSample } from './timeline.js';
import { ratesPerSecond, stateRuns } from './timeline.js';

/** The options both labs take (main.ts parses them). */
export interface LabOptions {
  /** 3 s of steady traffic after each phase instead of 15 s (the CI form). */
  short: boolean;
  /** ECMP lab: BFD on every BGP session. */
  bfd: boolean;
  rate: number;
  out: string;
  /** Fail on purpose after this phase (tests that the lab cleans up). */
  failAfter?: string;
}

/** `say(line)`: one progress line, `[   12.3 s] line`. */
export function progressPrinter(): (line: string) => void {
  const t0 = Date.now();
  return (line) =>
    void process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

/** On SIGINT or SIGTERM: say so, run `cleanUp` (namespaces, processes), exit 130. */
export function cleanUpOnSignal(say: (line: string) => void, cleanUp: () => Promise<void>): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    say(`${sig}: removing the lab's namespaces and processes`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export interface LabOutputs {
  title: string;
  /** The report's first line. */
  heading: string;
  /** Epoch ms: when traffic started and stopped. */
  trafficStart: number;
  end: number;
  records: readonly RequestRecord[];
  samples: readonly StateSample[];
  /** The phases, settled (report.ts settleServiceBack), and each one's short label for the charts. */
  phases: readonly ReportPhase[];
  labels: readonly string[];
  lanes: LaneStyle;
  /** `lvsd status` of each director that answered. */
  status: Readonly<Record<string, string>>;
  out: string;
  /** The closing line. */
  line: string;
}

/** Writes timeline.svg, timeline.vl.json and report.txt to `o.out`; returns the text to print. */
export async function writeLabOutputs(o: LabOutputs): Promise<string> {
  const data: TimelineData = {
    title: o.title,
    rates: ratesPerSecond(o.records, o.trafficStart, o.end),
    runs: stateRuns(o.samples, o.trafficStart, o.end),
    phases: o.phases.map((p, i) => ({
      t: Math.round((p.start - o.trafficStart) / 100) / 10,
      label: `${i + 1} ${o.labels[i] ?? p.key}`,
    })),
    seconds: Math.ceil((o.end - o.trafficStart) / 1000),
    lanes: o.lanes,
  };
  const spec = timelineSpec(data);
  const svg = await renderSvg(spec);
  mkdirSync(o.out, { recursive: true });
  const files = {
    svg: join(o.out, 'timeline.svg'),
    spec: join(o.out, 'timeline.vl.json'),
    report: join(o.out, 'report.txt'),
  };
  writeFileSync(files.svg, svg);
  writeFileSync(files.spec, JSON.stringify(spec, null, 1));
  const report = formatReport({
    heading: o.heading,
    t0: o.trafficStart,
    phases: o.phases,
    records: o.records,
    status: o.status,
    files: [`timeline: ${files.svg} (Vega-Lite spec: ${files.spec})`, `report: ${files.report}`],
  });
  writeFileSync(files.report, `${report}\n${o.line}\n`);
  const chart = terminalChart(data, {
    columns: Number(process.env['COLUMNS'] ?? process.stdout.columns ?? 100) || 100,
    colour: process.stdout.isTTY === true || process.env['LVSD_LAB_COLOUR'] === '1',
  });
  return `\n${report}\n\n${chart}\n\n${o.line}\n`;
}

/** Each director's `lvsd status` text (or why it did not answer); `runDirs` by director. */
export async function statuses(runDirs: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const one = async (runDir: string): Promise<string> => {
    try {
      const r = await promisify(execFile)(process.execPath, [lvsdBin, 'status', '--run-dir', runDir], {
        encoding: 'utf8',
      });
      return r.stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return `${err.stdout ?? ''}${err.stderr ?? String(e)}`;
    }
  };
  const entries = Object.entries(runDirs);
  const texts = await Promise.all(entries.map(([, dir]) => one(dir)));
  return Object.fromEntries(entries.map(([d], i) => [d, texts[i] ?? '']));
}

/** The daemons' output, for a failed run. */
export function daemonOutputs(daemons: Readonly<Partial<Record<string, Daemon>>>): string {
  return Object.entries(daemons)
    .map(
      ([id, d]) => `--- ${id} (lvsd run) output, last 3000 characters ---\n${d?.output().slice(-3000) ?? ''}`,
    )
    .join('\n');
}
