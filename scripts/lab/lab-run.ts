// SPDX-License-Identifier: Apache-2.0
/**
 * What both labs (the VRRP pair, main.ts, and ECMP, ecmp-lab.ts) do around their walk (I/O),
 * `runLab` with a lab's `LabSpec`: the progress lines stamped with the seconds since the start, the
 * traffic and the sampler, the clean-up on SIGINT/SIGTERM, and the outputs: the timeline (SVG, its Vega-Lite spec, the terminal chart) and the report, written to
 * `--out` and returned for printing with the closing `lab` line last; each director's `lvsd status`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Daemon } from '../../test/vm/e2e/ha-lab.js';
import { lvsdBin } from '../../test/vm/e2e/ha-lab.js';
import type { LabPhase, PhaseRun } from './phase.io.js';
import type { ReportPhase } from './report.js';
import { formatReport, settleServiceBack } from './report.js';
import type { Sampler } from './sampler.io.js';
import type { LaneStyle, TimelineData } from './svg-chart.js';
import { renderSvg, timelineSpec } from './svg-chart.js';
import { terminalChart } from './terminal-chart.js';
import type { Traffic, TrafficOptions } from './traffic.io.js';
import { startTraffic } from './traffic.io.js';
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

/** One lab (VRRP pair or ECMP): how to build it, walk it and report it; `runLab` does the rest. */
export interface LabSpec<Lab extends { close(): Promise<void> }, K extends string, W extends PhaseRun<K>> {
  /** The first progress line. */
  intro: string;
  /** Build the namespaces and servers; the progress line once they are up. */
  build(): Promise<{ lab: Lab; ready: string }>;
  traffic(lab: Lab): Omit<TrafficOptions, 'rate' | 'timeoutMs' | 'maxMs'>;
  sampler(lab: Lab): Sampler;
  /** The walk, from what every walk has. */
  walk(lab: Lab, base: PhaseRun<K> & { sampler: Sampler }): W;
  steps: ReadonlyArray<(w: W) => Promise<void>>;
  /** The `lvsd run` daemons, for their output when the walk fails. */
  daemons(w: W): Readonly<Partial<Record<string, Daemon>>>;
  /** The directors asked for `lvsd status` at the end, by name: their run directories. */
  statusOf(lab: Lab): Record<string, string>;
  title: string;
  heading: string;
  labels: Readonly<Record<K, string>>;
  lanes: LaneStyle;
  line(phases: ReadonlyArray<LabPhase<K>>, records: readonly RequestRecord[]): string;
}

/**
 * Runs a lab: builds it, starts the traffic and the sampler, walks the steps (one progress line
 * each), then writes and prints the report, the timeline and the closing line. 0 when the walk
 * ended, 1 when it failed (the daemons' output and the error on stderr). The namespaces and
 * processes are removed on the way out, and on SIGINT/SIGTERM.
 */
export async function runLab<Lab extends { close(): Promise<void> }, K extends string, W extends PhaseRun<K>>(
  spec: LabSpec<Lab, K, W>,
  o: LabOptions,
  say: (line: string) => void,
): Promise<number> {
  say(spec.intro);
  let lab: Lab | undefined;
  let traffic: Traffic | undefined;
  let sampler: Sampler | undefined;
  let closing: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (closing ??= (async () => {
      await traffic?.stop();
      await sampler?.stop();
      await lab?.close();
    })());
  cleanUpOnSignal(say, cleanUp);
  const phases: Array<LabPhase<K>> = [];
  try {
    const built = await spec.build();
    lab = built.lab;
    say(built.ready);
    const trafficStart = Date.now();
    traffic = startTraffic({ ...spec.traffic(lab), rate: o.rate, timeoutMs: 1000, maxMs: 600_000 });
    sampler = spec.sampler(lab);
    const w = spec.walk(lab, {
      traffic,
      sampler,
      dwellMs: o.short ? 3000 : 15_000,
      requestTimeoutMs: 1000,
      phases,
      progress: (p) =>
        say(
          `${phases.length}/${spec.steps.length} ${p.title}: ${p.measures.map((m) => `${m.what} ${m.ms} ms`).join(', ')}`,
        ),
      ...(o.failAfter !== undefined ? { failAfter: o.failAfter } : {}),
    });
    try {
      for (const step of spec.steps) await step(w);
    } catch (e) {
      process.stderr.write(`${daemonOutputs(spec.daemons(w))}\n`);
      throw e;
    }
    const end = Date.now();
    phases[phases.length - 1]!.end = end;
    await traffic.stop();
    await sampler.stop();
    const asked = spec.statusOf(lab);
    say(`traffic stopped; asking ${Object.keys(asked).join(' and ')} for \`lvsd status\``);
    const status = await statuses(asked);
    // every request has ended now: the service-back figures are taken again over whole phases
    const settled = settleServiceBack(phases, traffic.records);
    const text = await writeLabOutputs({
      title: spec.title,
      heading: spec.heading,
      trafficStart,
      end,
      records: traffic.records,
      samples: sampler.samples,
      phases: settled,
      labels: settled.map((p) => spec.labels[p.key]),
      lanes: spec.lanes,
      status,
      out: o.out,
      line: spec.line(settled, traffic.records),
    });
    process.stdout.write(text);
    return 0;
  } catch (e) {
    process.stderr.write(`lab failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    await cleanUp();
  }
}
