// SPDX-License-Identifier: Apache-2.0
/**
 * The Prometheus endpoint of a running `lvsd run --metrics` in a network namespace: a scrape is
 * valid for `promtool check metrics`, names the instance MASTER with its VIP held, and after a
 * preempting peer takes over the next scrape says BACKUP, with the transition counted and adverts
 * received; the endpoint set by `lvsd_metrics` in the file serves the same. The shipped alert
 * rules pass `promtool check rules` and the unit tests of `promtool test rules`. Needs root
 * (namespaces) and promtool (Debian's prometheus; scripts/ensure-test-deps.sh netns).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { promtoolCheck } from '../promtool.js';
import { createLab, repoRoot, startLvsd, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);
let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

/** GET /metrics inside the node's namespace. */
async function scrape(l: Lab, n: LabNode, port: number): Promise<string> {
  const r = await l.exec(n.ns, ['curl', '-sf', `http://127.0.0.1:${port}/metrics`], { allowFail: true });
  return r.code === 0 ? r.stdout : '';
}

/** The value of one series line (`name{labels}`) in an exposition. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a scrape passes promtool and follows a transition (MASTER, then BACKUP to a preempting peer)', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (n: LabNode, priority: number, globals: string[] = []) =>
    vrrpConf(
      n,
      [{ name: 'VI_1', vrid: 51, priority, version: 3, advertInt: 0.1, vips: [`${vip}/32`] }],
      globals,
    );
  const port = 9650;
  const startedAt = Date.now() / 1000;
  const d = startLvsdRun(l, n1, conf(n1, 150), {}, undefined, ['--metrics', `127.0.0.1:${port}`]);
  await waitFor('n1 holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const master = '{vrrp_instance="VI_1",vrid="51",family="inet"';
  const first = await waitFor(
    'a scrape that says MASTER',
    async () => {
      const s = await scrape(l, n1, port);
      return value(s, `lvsd_vrrp_instance_state${master},state="master"}`) === 1 ? s : undefined;
    },
    10_000,
  );
  const check = await promtoolCheck(first);
  t.is(check.code, 0, check.out);
  t.is(check.out.trim(), '', 'promtool has no lint findings');
  t.is(value(first, `lvsd_vip_held{vrrp_instance="VI_1",vip="${vip}/32"}`), 1);
  t.is(value(first, 'lvsd_worker_up{worker="vrrp"}'), 1);
  t.is(value(first, 'lvsd_worker_restarts_total{worker="vrrp"}'), 0);
  t.regex(first, /^lvsd_build_info\{version="[^"]+",node="v\d+/m);
  t.true((value(first, `lvsd_vrrp_adverts_sent_total${master}}`) ?? 0) > 0);
  t.true((value(first, 'lvsd_vrrp_timer_lateness_seconds_count') ?? 0) > 0);
  const transitionsBefore = value(first, `lvsd_vrrp_transitions_total${master}}`) ?? NaN;
  // before any reload the last success is the start, and no reload has a duration
  const since = value(first, 'lvsd_config_last_reload_success_timestamp_seconds') ?? NaN;
  t.true(since >= startedAt - 1 && since <= Date.now() / 1000, `${since} vs start ${startedAt}`);
  t.is(value(first, 'lvsd_config_last_reload_duration_seconds'), undefined);
  // a reload (SIGHUP, the file unchanged): its time, and the last success moved to it
  const hupAt = Date.now() / 1000;
  d.proc.kill('SIGHUP');
  const reloaded = await waitFor(
    'a scrape after the reload',
    async () => {
      const s = await scrape(l, n1, port);
      return value(s, 'lvsd_config_reloads_total{result="success"}') === 1 ? s : undefined;
    },
    10_000,
  );
  const took = value(reloaded, 'lvsd_config_last_reload_duration_seconds') ?? NaN;
  t.true(took > 0 && took < 10, `reload took ${took} s`);
  t.true((value(reloaded, 'lvsd_config_last_reload_success_timestamp_seconds') ?? 0) >= hupAt - 0.01);
  t.regex(d.output(), /reloaded .*ms=\d+/);

  // a peer with a higher priority preempts: n1 goes BACKUP, and the scrape says so
  startLvsd(l, n2, conf(n2, 200));
  const second = await waitFor(
    'a scrape that says BACKUP',
    async () => {
      const s = await scrape(l, n1, port);
      return value(s, `lvsd_vrrp_instance_state${master},state="backup"}`) === 1 ? s : undefined;
    },
    15_000,
  );
  t.is(value(second, `lvsd_vrrp_instance_state${master},state="master"}`), 0);
  t.true((value(second, `lvsd_vrrp_transitions_total${master}}`) ?? 0) > transitionsBefore);
  t.true((value(second, `lvsd_vrrp_adverts_received_total${master}}`) ?? 0) > 0);
  t.is(value(second, `lvsd_vip_held{vrrp_instance="VI_1",vip="${vip}/32"}`), undefined);
  t.is((await promtoolCheck(second)).code, 0);
});

test('lvsd_metrics in global_defs serves the endpoint', async (t) => {
  const l = lab ?? (lab = await createLab(2));
  // a second lvsd in n1 (its own run directory, VRID 52): the endpoint needs only the loopback
  const [n1] = l.nodes as [LabNode];
  const port = 9651;
  const conf = vrrpConf(
    n1,
    [{ name: 'VI_2', vrid: 52, priority: 100, version: 3, advertInt: 0.1, vips: [`10.${l.net}.0.102/32`] }],
    [`lvsd_metrics 127.0.0.1:${port}`],
  );
  startLvsdRun(l, n1, conf);
  const text = await waitFor(
    'a scrape of the second lvsd with its instance',
    async () => {
      const s = await scrape(l, n1, port);
      return /lvsd_vrrp_instance_state\{vrrp_instance="VI_2"/.test(s) ? s : undefined;
    },
    15_000,
  );
  t.regex(text, /lvsd_vrrp_instance_state\{vrrp_instance="VI_2"/);
  t.is((await promtoolCheck(text)).code, 0);
});

test('the shipped alert rules pass promtool check rules and their unit tests', async (t) => {
  const rules = join(repoRoot, 'etc', 'prometheus', 'lvsd-alerts.yml');
  const checked = await run('promtool', ['check', 'rules', rules]);
  t.regex(checked.stdout, /SUCCESS: \d+ rules found/);
  const tested = await run('promtool', [
    'test',
    'rules',
    join(repoRoot, 'test', 'fixtures', 'prometheus', 'lvsd-alerts.test.yml'),
  ]);
  t.regex(tested.stdout, /SUCCESS/);
});
