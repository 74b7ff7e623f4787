// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's timeline as a Vega-Lite chart rendered to SVG in Node, without a browser (pure: builds
 * the spec and renders it in memory; the caller writes the file). Top: requests per second ok and
 * failed, with the phases marked; bottom: each director's state (VRRP, or the router's next hops in
 * the ECMP lab) as coloured lanes. Both share
 * the time axis (seconds since the lab began).
 */
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import type { RatePoint, StateRun } from './timeline.js';

export interface PhaseMark {
  /** Seconds since the start. */
  t: number;
  label: string;
}

export interface TimelineData {
  title: string;
  rates: readonly RatePoint[];
  runs: readonly StateRun[];
  phases: readonly PhaseMark[];
  /** Length of the timeline in seconds. */
  seconds: number;
  /** What the director lanes show [vrrpLanes]. */
  lanes?: LaneStyle;
}

/** What the director lanes show: their title, each state's colour, the terminal chart's rows. */
export interface LaneStyle {
  title: string;
  colours: Readonly<Record<string, string>>;
  /** The terminal chart's rows, lowest first; a state not listed is drawn on the second row. */
  levels: readonly string[];
}

export const vrrpLanes: LaneStyle = {
  title: 'VRRP state',
  colours: {
    MASTER: '#2ca02c',
    BACKUP: '#1f77b4',
    FAULT: '#ff7f0e',
    INIT: '#bcbd22',
    down: '#c7c7c7',
  },
  levels: ['down', 'FAULT', 'BACKUP', 'MASTER'],
};

/** The ECMP lab: is the director a next hop of the router's route to the VIP? */
export const bgpLanes: LaneStyle = {
  title: 'router next hop',
  colours: { ANNOUNCED: '#2ca02c', WITHDRAWN: '#ff7f0e', down: '#c7c7c7' },
  levels: ['down', 'WITHDRAWN', 'ANNOUNCED'],
};

const width = 820;

export function timelineSpec(d: TimelineData): TopLevelSpec {
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [0, d.seconds], nice: false },
  };
  const rates = d.rates.flatMap((p) => [
    { t: p.t, series: 'ok', rps: p.ok },
    { t: p.t, series: 'failed', rps: p.failed },
  ]);
  const phases = d.phases.map((p, i) => ({ ...p, row: i % 2 }));
  const lanes = d.lanes ?? vrrpLanes;
  const known = Object.keys(lanes.colours);
  const extra = [...new Set(d.runs.map((r) => r.state))].filter((s) => !known.includes(s));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: d.title, anchor: 'start' },
    config: { font: 'sans-serif', view: { stroke: '#ddd' } },
    vconcat: [
      {
        width,
        height: 220,
        layer: [
          {
            data: { values: rates },
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'rps', type: 'quantitative', title: 'requests/s' },
              color: {
                field: 'series',
                type: 'nominal',
                title: 'requests',
                scale: { domain: ['ok', 'failed'], range: ['#2ca02c', '#d62728'] },
              },
            },
          },
          {
            data: { values: phases },
            mark: { type: 'rule', color: '#888', strokeDash: [4, 3] },
            encoding: { x: { field: 't', type: 'quantitative' } },
          },
          // phase names on two staggered rows, so neighbours do not overprint each other
          ...[0, 1].map((row) => ({
            data: { values: phases },
            transform: [{ filter: `datum.row === ${row}` }],
            mark: {
              type: 'text' as const,
              align: 'left' as const,
              baseline: 'top' as const,
              dx: 3,
              dy: 2 + 12 * row,
              fontSize: 10,
              color: '#444',
            },
            encoding: {
              x: { field: 't', type: 'quantitative' as const },
              y: { value: 0 },
              text: { field: 'label', type: 'nominal' as const },
            },
          })),
        ],
      },
      {
        width,
        height: 60,
        data: { values: [...d.runs] },
        mark: { type: 'rect', height: { band: 0.8 } },
        encoding: {
          x: {
            field: 'from',
            type: 'quantitative',
            title: 'seconds since start',
            scale: { domain: [0, d.seconds], nice: false },
          },
          x2: { field: 'to' },
          y: { field: 'director', type: 'nominal', title: lanes.title },
          color: {
            field: 'state',
            type: 'nominal',
            title: lanes.title,
            scale: {
              domain: [...known, ...extra],
              range: [...Object.values(lanes.colours), ...extra.map(() => '#9467bd')],
            },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** Render a Vega-Lite spec to an SVG document (headless: no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
