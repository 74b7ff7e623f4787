// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's timeline for a terminal (pure: returns text), drawn with asciichart: requests per
 * second ok and failed, with the phases numbered under the time axis, then one small chart per
 * director of its state (VRRP: down, FAULT, BACKUP, MASTER; ECMP: down, WITHDRAWN, ANNOUNCED). Seconds are grouped into columns so the
 * chart fits `columns`.
 */
import * as asciichart from 'asciichart';
import { stateAt } from './timeline.js';
import type { TimelineData } from './svg-chart.js';
import { vrrpLanes } from './svg-chart.js';

/** A state's row in the state chart; a state not listed (INIT, mixed) is drawn on the second (FAULT). */
function level(levels: readonly string[], state: string): number {
  const i = levels.indexOf(state);
  return i >= 0 ? i : 1;
}

// eslint-disable-next-line no-control-regex -- the ANSI colour sequences asciichart writes
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Columns before the first data column of an asciichart plot (its label and axis). */
function axisWidth(plot: string): number {
  const first = stripAnsi(plot.split('\n')[0] ?? '');
  const i = first.search(/[┤┼]/);
  return i < 0 ? 0 : i + 1;
}

export function terminalChart(d: TimelineData, o: { columns: number; colour: boolean }): string {
  const lanes = d.lanes ?? vrrpLanes;
  const levels = lanes.levels;
  const labelWidth = 14;
  const perColumn = Math.max(1, Math.ceil(d.seconds / Math.max(20, o.columns - labelWidth)));
  const n = Math.max(1, Math.ceil(d.seconds / perColumn));
  const column = (i: number) => d.rates.slice(i * perColumn, (i + 1) * perColumn);
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const ok = Array.from({ length: n }, (_, i) => mean(column(i).map((p) => p.ok)));
  const failed = Array.from({ length: n }, (_, i) => mean(column(i).map((p) => p.failed)));
  const colours = o.colour ? [asciichart.green, asciichart.red] : [undefined, undefined];
  const pad = (s: string, w: number): string => s.padStart(w);
  const rates = asciichart.plot([ok, failed], {
    height: 8,
    min: 0,
    colors: colours,
    format: (x) => pad(x.toFixed(0), labelWidth - 2),
  });
  const left = axisWidth(rates);
  const marks = Array.from({ length: left + n }, () => ' ');
  for (const [i, p] of d.phases.entries()) {
    const at = left + Math.min(n - 1, Math.floor(p.t / perColumn));
    marks[at] = String(i + 1);
  }
  const out = [
    `requests/s ok${o.colour ? ' (green)' : ''} and failed${o.colour ? ' (red)' : ' (the lower line)'}, ` +
      `${perColumn} s per column; phases: ${d.phases.map((p) => p.label).join(', ')}`,
    rates,
    marks.join('').trimEnd(),
  ];
  for (const director of [...new Set(d.runs.map((r) => r.director))].sort()) {
    const states = Array.from({ length: n }, (_, i) =>
      level(levels, stateAt(d.runs, director, (i + 1) * perColumn - 0.5)),
    );
    out.push(`${director} ${lanes.title}`);
    out.push(
      asciichart.plot(states, {
        height: levels.length - 1,
        min: 0,
        max: levels.length - 1,
        colors: [o.colour ? asciichart.cyan : undefined],
        format: (x) => pad(levels[Math.round(x)] ?? '', labelWidth - 2),
      }),
    );
  }
  return out.join('\n');
}
