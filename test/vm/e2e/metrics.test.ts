// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): `lvsd run --metrics` on a director of the
// HA lab exposes the kernel's IPVS counters over HTTP. Requests from the client through the VIP
// raise the virtual server's connections, packets and bytes (in and out) by at least what was sent,
// every real server's connections add up to the virtual server's, and the scrape passes
// `promtool check metrics`. About 2 minutes in the emulated VM (lvsd's start-up).
import test from 'ava';
import { promtoolCheck } from '../../netns/promtool.js';
import type { HaLab } from './ha-lab.js';
import { createHaLab, REALS, VIP, waitUntil } from './ha-lab.js';

const port = 9650;
const vs = `virtual_server="tcp:${VIP}:80"`;
const reals = REALS.map((r) => `${vs},real_server="${r}:80"`);
/** Requests sent between the two scrapes, each on its own connection. */
const requests = 20;

let lab: HaLab | undefined;
test.after.always(async () => {
  await lab?.close();
});

/** GET /metrics inside lvs1's namespace ('' while the endpoint does not answer). */
async function scrape(l: HaLab): Promise<string> {
  const r = await l.ns.lvs1.run('curl', ['-sf', '--max-time', '5', `http://127.0.0.1:${port}/metrics`]);
  return r.code === 0 ? r.stdout : '';
}

/** The value of one series (`name{labels}`) in an exposition. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('lvsd run --metrics: the kernel IPVS counters per virtual and real server grow with traffic', async (t) => {
  lab = await createHaLab();
  const l = lab;
  await Promise.all([l.startHttp('rs1'), l.startHttp('rs2')]);
  const d = l.startDaemon('lvs1', ['--metrics', `127.0.0.1:${port}`]);
  try {
    // lvs1 alone becomes MASTER, programs both reals and serves through the VIP
    await waitUntil(
      'both reals in the scrape',
      () => scrape(l),
      (s) => reals.every((r) => value(s, `lvsd_ipvs_real_server_connections_total{${r}}`) !== undefined),
      240_000,
      1000,
    );
    await waitUntil(
      'the VIP serves the client',
      () => l.ns.client.run('curl', ['-sf', '--max-time', '2', `http://${VIP}/`]),
      (r) => r.code === 0,
      120_000,
      500,
    );
    const before = await scrape(l);
    const sent = await l.ns.client.run('curl', [
      ...['-sf', '--max-time', '30', '-H', 'Connection: close'],
      ...Array.from({ length: requests }, () => `http://${VIP}/`),
    ]);
    t.is(sent.code, 0, sent.stderr);
    t.is(sent.stdout.match(/RS[12]/g)?.length, requests, sent.stdout);
    // the kernel copies its per-CPU counters into what it reports every 2 s (its rate estimator's
    // timer): scrape until the connections show, then check the rest against that scrape
    const conns0 = value(before, `lvsd_ipvs_virtual_server_connections_total{${vs}}`) ?? NaN;
    let after = before;
    await waitUntil(
      'the connections in the kernel counters',
      async () => (after = await scrape(l)),
      (s) => (value(s, `lvsd_ipvs_virtual_server_connections_total{${vs}}`) ?? NaN) - conns0 >= requests,
      20_000,
      500,
    );

    const delta = (series: string): number => (value(after, series) ?? NaN) - (value(before, series) ?? NaN);
    const conns = delta(`lvsd_ipvs_virtual_server_connections_total{${vs}}`);
    t.true(conns >= requests, `virtual server connections +${conns}`);
    for (const dir of ['in', 'out']) {
      // a connection is at least a SYN, an ACK, a request and a FIN in, and a SYN-ACK, data, FIN out
      const pkts = delta(`lvsd_ipvs_virtual_server_packets_total{${vs},direction="${dir}"}`);
      const bytes = delta(`lvsd_ipvs_virtual_server_bytes_total{${vs},direction="${dir}"}`);
      t.true(pkts >= 3 * requests, `packets ${dir} +${pkts}`);
      t.true(bytes >= 40 * pkts, `bytes ${dir} +${bytes} for ${pkts} packets`);
    }
    const perReal = reals.map((r) => delta(`lvsd_ipvs_real_server_connections_total{${r}}`));
    t.true(
      perReal.every((n) => n > 0),
      `rr spreads the connections over both reals: ${perReal.join(', ')}`,
    );
    t.is(
      perReal.reduce((a, b) => a + b, 0),
      conns,
      'the reals’ connections add up to the virtual server’s',
    );
    for (const r of reals)
      t.true((value(after, `lvsd_ipvs_real_server_inactive_connections{${r}}`) ?? -1) >= 0, r);
    // the checker's series carry the same labels, so the two join (and paste into `lvsd real drain`)
    for (const r of reals) t.is(value(after, `lvsd_real_server_up{${r}}`), 1, `lvsd_real_server_up{${r}}`);
    t.is(value(after, `lvsd_virtual_server_quorum{${vs}}`), 1);
    const check = await promtoolCheck(after);
    t.is(check.code, 0, check.out);
    t.log(`+${conns} connections over ${requests} requests; per real ${perReal.join(', ')}`);
  } catch (e) {
    t.log(d.output().slice(-3000));
    throw e;
  }
});
