// SPDX-License-Identifier: Apache-2.0
// A file read again after an edit (config/incremental.ts through load.io.ts FileReloader) gives
// what a whole parse of the new text gives, finding for finding and model for model, whatever the
// edit: random configurations (virtual servers with reals, checkers, sorry servers, duplicates and
// bad values among them; a group, a track file, mail settings) edited at random, several reloads
// in a row. And it parses only the changed statements when the edit touched only virtual servers.
import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReloader, loadConfig, parseConfigText } from '../../../src/config/load.io.js';
import { commonPrefix, commonSuffix } from '../../../src/config/incremental.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-incremental-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = (): string => join(dir, `f${++files}.conf`);

interface Real {
  host: number;
  port: number;
  weight: string;
  check: 'tcp' | 'http' | 'none';
  alert: boolean;
}
interface Vs {
  net: number;
  port: number;
  algo: string;
  group: boolean;
  sorry: boolean;
  /** Lines for one director of a pair (`@lb1`, the config id here) and the other's. */
  cond: boolean;
  reals: Real[];
}
interface Conf {
  mail: 'none' | 'server' | 'full';
  group: boolean;
  track: boolean;
  comment: boolean;
  cond: boolean;
  vss: Vs[];
}

const realArb = fc.record({
  host: fc.integer({ min: 1, max: 4 }),
  port: fc.constantFrom(80, 8080),
  weight: fc.constantFrom('1', '2', '0', '-1', 'x'),
  check: fc.constantFrom<Real['check']>('tcp', 'http', 'none'),
  alert: fc.boolean(),
});
const vsArb = fc.record({
  net: fc.integer({ min: 1, max: 6 }),
  port: fc.constantFrom(80, 443),
  algo: fc.constantFrom('wrr', 'rr', 'mh', 'nonesuch'),
  group: fc.boolean(),
  sorry: fc.boolean(),
  cond: fc.boolean(),
  reals: fc.array(realArb, { minLength: 0, maxLength: 4 }),
});
const confArb = fc.record({
  mail: fc.constantFrom<Conf['mail']>('none', 'server', 'full'),
  group: fc.boolean(),
  track: fc.boolean(),
  comment: fc.boolean(),
  cond: fc.boolean(),
  vss: fc.array(vsArb, { minLength: 1, maxLength: 8 }),
});

function realText(r: Real): string {
  const check =
    r.check === 'tcp'
      ? '    TCP_CHECK {\n      connect_timeout 3\n    }\n'
      : r.check === 'http'
        ? '    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n    }\n'
        : '';
  return (
    `  real_server 192.168.0.${r.host} ${r.port} {\n    weight ${r.weight}\n` +
    (r.alert ? '    smtp_alert\n' : '') +
    check +
    '  }\n'
  );
}

function vsText(v: Vs): string {
  const head = v.group ? 'virtual_server group G1 {\n' : `virtual_server 10.0.0.${v.net} ${v.port} {\n`;
  return (
    head +
    `  lb_algo ${v.algo}\n  lb_kind NAT\n  protocol TCP\n` +
    (v.sorry ? '  sorry_server 192.168.9.9 80\n' : '') +
    (v.cond ? '@lb1 delay_loop 3\n@lb2 delay_loop 9\n' : '') +
    v.reals.map(realText).join('') +
    '}\n'
  );
}

function confText(c: Conf): string {
  const out: string[] = [];
  if (c.mail !== 'none') {
    out.push(
      'global_defs {\n  router_id LB1\n  smtp_server 127.0.0.1\n  smtp_alert\n' +
        (c.mail === 'full' ? '  notification_email {\n    ops@example.com\n  }\n' : '') +
        '}\n',
    );
  }
  if (c.cond)
    out.push(
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n@lb1 priority 150\n@lb2 priority 100\n}\n',
    );
  if (c.group) out.push('virtual_server_group G1 {\n  10.1.0.1 80\n  10.1.0.2 80\n}\n');
  if (c.track) out.push('track_file TF {\n  file /run/lvsd-tf\n}\n');
  for (const [i, v] of c.vss.entries()) {
    if (c.comment && i % 3 === 1) out.push('# a comment\n\n');
    out.push(vsText(v));
  }
  return out.join('');
}

type Edit =
  | { kind: 'weight'; vs: number; real: number; weight: string }
  | { kind: 'addReal'; vs: number; real: Real }
  | { kind: 'dropReal'; vs: number }
  | { kind: 'addVs'; at: number; vs: Vs }
  | { kind: 'dropVs'; at: number }
  | { kind: 'copyVs'; at: number }
  | { kind: 'algo'; vs: number; algo: string }
  | { kind: 'mail'; mail: Conf['mail'] }
  | { kind: 'group'; on: boolean }
  | {
      kind: 'raw';
      what: 'brace' | 'dollar' | 'comment' | 'blank' | 'sameLine' | 'include' | 'cond' | 'otherCond';
      at: number;
    };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('weight' as const),
    vs: fc.nat(),
    real: fc.nat(),
    weight: fc.constantFrom('3', '0', '-2'),
  }),
  fc.record({ kind: fc.constant('addReal' as const), vs: fc.nat(), real: realArb }),
  fc.record({ kind: fc.constant('dropReal' as const), vs: fc.nat() }),
  fc.record({ kind: fc.constant('addVs' as const), at: fc.nat(), vs: vsArb }),
  fc.record({ kind: fc.constant('dropVs' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('copyVs' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('algo' as const), vs: fc.nat(), algo: fc.constantFrom('sh', 'bogus') }),
  fc.record({ kind: fc.constant('mail' as const), mail: fc.constantFrom('none', 'server', 'full') }),
  fc.record({ kind: fc.constant('group' as const), on: fc.boolean() }),
  fc.record({
    kind: fc.constant('raw' as const),
    what: fc.constantFrom('brace', 'dollar', 'comment', 'blank', 'sameLine', 'include', 'cond', 'otherCond'),
    at: fc.nat(),
  }),
);

/** The configuration after an edit, or its text with a raw change. */
function applyEdit(c: Conf, e: Edit): Conf | string {
  const vss = c.vss.map((v) => ({ ...v, reals: [...v.reals] }));
  const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  switch (e.kind) {
    case 'weight': {
      const v = pick(vss, e.vs);
      const r = v && pick(v.reals, e.real);
      if (v && r) v.reals[v.reals.indexOf(r)] = { ...r, weight: e.weight };
      return { ...c, vss };
    }
    case 'addReal':
      pick(vss, e.vs)?.reals.push(e.real);
      return { ...c, vss };
    case 'dropReal':
      pick(vss, e.vs)?.reals.pop();
      return { ...c, vss };
    case 'addVs':
      vss.splice(e.at % (vss.length + 1), 0, e.vs);
      return { ...c, vss };
    case 'dropVs':
      if (vss.length > 1) vss.splice(e.at % vss.length, 1);
      return { ...c, vss };
    case 'copyVs': {
      const v = pick(vss, e.at);
      if (v) vss.push(v);
      return { ...c, vss };
    }
    case 'algo': {
      const v = pick(vss, e.vs);
      if (v) vss[vss.indexOf(v)] = { ...v, algo: e.algo };
      return { ...c, vss };
    }
    case 'mail':
      return { ...c, mail: e.mail };
    case 'group':
      return { ...c, group: e.on };
    case 'raw': {
      const lines = confText(c).split('\n');
      const at = e.at % lines.length;
      const add = {
        brace: '}',
        dollar: '$X=1',
        comment: '! another comment',
        blank: '',
        sameLine: '} virtual_server 10.0.9.9 80 {',
        include: 'include /nonexistent/lvsd-*.conf',
        cond: '@lb1 # for this director',
        otherCond: '@lb9 weight 5',
      }[e.what];
      lines.splice(at, 0, add);
      return lines.join('\n');
    }
  }
}

const textOf = (c: Conf | string): string => (typeof c === 'string' ? c : confText(c));

/** What a load gives, as compared: the model's JSON (locations and all) and the findings. */
const outcome = (r: Awaited<ReturnType<typeof loadConfig>>): string =>
  JSON.stringify({ m: r.model, d: r.diagnostics, e: r.errorCount, w: r.warningCount });

test('a file read again gives what a whole parse gives, after any edit, reload after reload', async (t) => {
  let incremental = 0;
  await fc.assert(
    fc.asyncProperty(confArb, fc.array(editArb, { minLength: 1, maxLength: 4 }), async (conf, edits) => {
      const file = newFile();
      writeFileSync(file, confText(conf));
      const reloader = new FileReloader(file, { configId: 'lb1', env: {} });
      const first = reloader.load();
      t.is(outcome(first), outcome(await loadConfig(file, { configId: 'lb1', env: {} })));
      let current: Conf = conf;
      for (const e of edits) {
        const next = applyEdit(current, e);
        writeFileSync(file, textOf(next));
        const again = reloader.load();
        const whole = await loadConfig(file, { configId: 'lb1', env: {} });
        t.is(outcome(again), outcome(whole), `after ${JSON.stringify(e)}`);
        if (reloader.last.way === 'statements') incremental++;
        if (typeof next !== 'string') current = next;
      }
      rmSync(file);
    }),
    { numRuns: 200 },
  );
  // the property is about the statements path: most edits must have taken it
  t.true(incremental > 50, `${incremental} loads parsed only what changed`);
});

test('an edit of one virtual server parses that statement alone; other edits parse whole', (t) => {
  const conf: Conf = {
    mail: 'full',
    group: true,
    track: true,
    comment: true,
    cond: true,
    vss: Array.from({ length: 20 }, (_, i) => ({
      net: (i % 6) + 1,
      port: i < 6 ? 80 : i < 12 ? 443 : 8000 + i,
      algo: 'wrr',
      group: false,
      sorry: false,
      cond: i === 4,
      reals: [{ host: 1, port: 80, weight: '1', check: 'tcp' as const, alert: false }],
    })),
  };
  conf.vss.forEach((v, i) => (v.net = i + 1));
  const file = newFile();
  writeFileSync(file, confText(conf));
  const reloader = new FileReloader(file, { configId: 'lb1', env: {} });
  t.truthy(reloader.load().model);
  t.deepEqual(reloader.last, { way: 'whole', parsed: 24 });

  const weight = applyEdit(conf, { kind: 'weight', vs: 7, real: 0, weight: '3' }) as Conf;
  writeFileSync(file, confText(weight));
  const r = reloader.load();
  t.deepEqual(reloader.last, { way: 'statements', parsed: 1 });
  t.is(r.model?.virtualServers[7]?.realServers[0]?.weight, 3);

  writeFileSync(file, confText(weight));
  reloader.load();
  t.deepEqual(reloader.last, { way: 'unchanged', parsed: 0 });

  // a real added to the 3rd from last: it alone; the two after it kept, their locations moved
  const added = applyEdit(weight, {
    kind: 'addReal',
    vs: 17,
    real: { host: 2, port: 80, weight: '1', check: 'none', alert: false },
  }) as Conf;
  writeFileSync(file, confText(added));
  const moved = reloader.load();
  t.deepEqual(reloader.last, { way: 'statements', parsed: 1 });
  t.is(
    JSON.stringify(moved),
    JSON.stringify(parseConfigText(confText(added), file, { configId: 'lb1', env: {} })),
  );

  writeFileSync(file, confText({ ...added, mail: 'server' }));
  reloader.load();
  t.is(reloader.last.way, 'whole');
});

test('below an added line, a statement that reported something is parsed again, with all after the edit', (t) => {
  const vs = (n: number, extra = ''): string =>
    `virtual_server 10.0.0.${n} 80 {\n  protocol TCP\n${extra}  real_server 192.168.0.${n} 80 {\n  }\n}\n`;
  const warned = '  persistence_granularity 255.255.255.0\n';
  const file = newFile();
  const text = vs(1) + vs(2) + vs(3, warned) + vs(4);
  writeFileSync(file, text);
  const reloader = new FileReloader(file, { configId: 'lb1', env: {} });
  t.is(reloader.load().warningCount, 1);
  const edited = vs(1, '  delay_loop 3\n') + vs(2) + vs(3, warned) + vs(4);
  writeFileSync(file, edited);
  const r = reloader.load();
  t.deepEqual(reloader.last, { way: 'statements', parsed: 4 });
  t.is(r.diagnostics[0]?.line, 14, 'the warning at its new line');
  t.is(JSON.stringify(r), JSON.stringify(parseConfigText(edited, file, { configId: 'lb1', env: {} })));
});

test('common start and end of two texts', (t) => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
      const x = a + b + c;
      const y = a + c;
      const p = commonPrefix(x, y);
      const s = commonSuffix(x, y, Math.min(x.length, y.length) - p);
      t.true(p >= a.length || x.slice(0, p + 1) !== y.slice(0, p + 1));
      t.is(x.slice(0, p), y.slice(0, p));
      t.is(x.slice(x.length - s), y.slice(y.length - s));
      t.true(p + s <= Math.min(x.length, y.length));
      if (p < Math.min(x.length, y.length)) t.not(x[p], y[p]);
    }),
  );
});
