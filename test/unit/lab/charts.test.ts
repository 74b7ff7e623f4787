// SPDX-License-Identifier: Apache-2.0
// The lab's charts: the Vega-Lite timeline renders to an SVG document in Node (no browser) that an
// XML parser accepts and that holds the data drawn; the terminal chart fits the width asked for
// and numbers the phases.
import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { TimelineData } from '../../../scripts/lab/svg-chart.js';
import { bgpLanes, renderSvg, timelineSpec } from '../../../scripts/lab/svg-chart.js';
import { terminalChart } from '../../../scripts/lab/terminal-chart.js';

const data: TimelineData = {
  title: 'test lab',
  rates: Array.from({ length: 120 }, (_, t) => ({
    t,
    ok: t >= 60 && t < 63 ? 0 : 20,
    failed: t >= 60 && t < 63 ? 20 : 0,
  })),
  runs: [
    { director: 'lvs1', state: 'BACKUP', from: 0, to: 4 },
    { director: 'lvs1', state: 'MASTER', from: 4, to: 60 },
    { director: 'lvs1', state: 'down', from: 60, to: 90 },
    { director: 'lvs1', state: 'MASTER', from: 90, to: 120 },
    { director: 'lvs2', state: 'BACKUP', from: 0, to: 62 },
    { director: 'lvs2', state: 'MASTER', from: 62, to: 91 },
    { director: 'lvs2', state: 'BACKUP', from: 91, to: 120 },
  ],
  phases: [
    { t: 0, label: '1 election' },
    { t: 60, label: '2 master killed' },
    { t: 90, label: '3 preempt' },
  ],
  seconds: 120,
};

test('the timeline renders to a well-formed SVG holding the phases, directors and states', async (t) => {
  const svg = await renderSvg(timelineSpec(data));
  t.true(XMLValidator.validate(svg) === true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg?: Record<string, string> };
  t.truthy(doc.svg);
  t.regex(doc.svg?.['@_width'] ?? '', /^\d+$/);
  for (const text of ['2 master killed', 'lvs1', 'lvs2', 'MASTER', 'BACKUP', 'requests/s', 'test lab'])
    t.true(svg.includes(`>${text}<`), text);
});

test('the terminal chart fits the columns, numbers the phases and draws both directors', (t) => {
  const text = terminalChart(data, { columns: 80, colour: false });
  const lines = text.split('\n');
  t.true(
    lines.slice(1).every((l) => l.length <= 80),
    lines.find((l) => l.length > 80),
  );
  t.regex(text, /phases: 1 election, 2 master killed, 3 preempt/);
  t.regex(text, /^ *1 +2 +3$/m);
  t.regex(text, /lvs1 VRRP state\n/);
  t.regex(text, /lvs2 VRRP state\n/);
  t.regex(text, /MASTER [┤┼]/);
  t.false(text.includes('\x1b['));
  t.true(terminalChart(data, { columns: 80, colour: true }).includes('\x1b['));
});

test('the ECMP lanes: the router-next-hop states, titled so, on three rows', async (t) => {
  const ecmp: TimelineData = {
    ...data,
    runs: [
      { director: 'd1', state: 'ANNOUNCED', from: 0, to: 60 },
      { director: 'd1', state: 'WITHDRAWN', from: 60, to: 70 },
      { director: 'd1', state: 'ANNOUNCED', from: 70, to: 120 },
      { director: 'd3', state: 'ANNOUNCED', from: 0, to: 90 },
      { director: 'd3', state: 'down', from: 90, to: 120 },
    ],
    lanes: bgpLanes,
  };
  const svg = await renderSvg(timelineSpec(ecmp));
  for (const text of ['router next hop', 'ANNOUNCED', 'WITHDRAWN', 'd1', 'd3'])
    t.true(svg.includes(`>${text}<`), text);
  t.false(svg.includes('>VRRP state<'));
  const text = terminalChart(ecmp, { columns: 80, colour: false });
  t.regex(text, /d1 router next hop\n/);
  t.regex(text, /ANNOUNCED [┤┼]/);
  t.regex(text, /WITHDRAWN [┤┼]/);
  t.notRegex(text, /MASTER/);
});
