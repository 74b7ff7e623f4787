// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): the LVS globals on the real kernel, each
// config run by `lvsd run --check-only` and by keepalived's checker (`keepalived -C`) in the same
// director namespace, from the same starting kernel state (a foreign service added by ipvsadm,
// default timeouts, no sync daemon): `lvs_flush` (the foreign service is gone at start),
// `lvs_flush_on_stop` (none / VS: only the daemon's services go at stop; full: the whole table),
// `lvs_timeouts` (`ipvsadm -L --timeout`), and `lvs_sync_daemon` without an instance (master and
// backup at once, `ipvsadm -L --daemon`, with its options). Both daemons must reach the same kernel
// state at start and at stop. One documented difference is checked too: a standalone
// `lvsd run --check-only` whose `lvs_sync_daemon` names a VRRP instance runs both daemons (nothing
// relays VRRP states to it), where `keepalived -C` starts none.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { startWho, type Who } from './daemons.js';
import type { Lab } from './lab.js';
import { createLab, savedTable, waitTable } from './lab.js';

const foreign = '-A -t 10.9.9.50:81 -s rr';
const own = ['-A -t 10.9.9.9:80 -s rr', '-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1'];

const vs = `
virtual_server 10.9.9.9 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.0.2 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

const vrrp = `
vrrp_instance VI_1 {
  state BACKUP
  interface d0
  virtual_router_id 61
  priority 100
  virtual_ipaddress {
    10.9.0.100/24 dev d0
  }
}
`;

interface KernelView {
  table: string[];
  daemons: string;
  timeouts: string;
}

async function view(lab: Lab): Promise<KernelView> {
  return {
    table: await savedTable(lab.director),
    daemons: (await lab.director.ipvsadm('-L', '--daemon')).trim(),
    timeouts: (await lab.director.ipvsadm('-L', '--timeout')).trim(),
  };
}

/** The same starting point for every run: only the foreign service, default timeouts, no daemon. */
async function reset(lab: Lab): Promise<void> {
  const r = await lab.director.run('sh', [
    '-c',
    `ipvsadm -C; ipvsadm --stop-daemon master; ipvsadm --stop-daemon backup; ipvsadm --set 900 120 300; ipvsadm ${foreign}`,
  ]);
  if (r.code !== 0) throw new Error(`reset: ${r.stderr}`);
}

/** Start WHO on CONF, wait for its services, look at the kernel; stop it, look again. */
async function run(
  lab: Lab,
  who: Who,
  conf: string,
  wantRunning: string[],
): Promise<{ running: KernelView; stopped: KernelView; output: string }> {
  await reset(lab);
  const d = startWho(lab, who, conf);
  try {
    await waitTable(lab.director, wantRunning, 60_000);
    const running = await view(lab);
    await d.stop();
    return { running, stopped: await view(lab), output: d.output() };
  } catch (e) {
    await d.stop();
    const now = await view(lab).catch(() => undefined);
    throw new Error(`${who}: ${(e as Error).message}\nkernel now: ${JSON.stringify(now)}\n${d.output()}`);
  }
}

let lab: Lab;
test.before(async () => {
  lab = createLab(['10.9.0.2']);
  await lab.startHttp('10.9.0.2');
});
test.after.always(() => lab?.close());

test.serial(
  'lvs_flush, lvs_flush_on_stop (full), lvs_timeouts and lvs_sync_daemon without an instance: lvsd = keepalived',
  async (t) => {
    const conf = join(lab.dir, 'a.conf');
    writeFileSync(
      conf,
      `global_defs {\n  lvs_flush\n  lvs_flush_on_stop\n  lvs_timeouts tcp 1000 tcpfin 30 udp 200\n  lvs_sync_daemon d0\n}\n${vs}`,
    );
    const l = await run(lab, 'lvsd', conf, own);
    const k = await run(lab, 'keepalived', conf, own);
    t.log(`lvsd running:\n${l.running.daemons}\n${l.running.timeouts}`);
    t.deepEqual(l.running.table, [...own].sort(), 'lvs_flush removed the foreign service at start');
    t.regex(l.running.daemons, /master sync daemon \(mcast=d0, syncid=0/);
    t.regex(l.running.daemons, /backup sync daemon \(mcast=d0, syncid=0/);
    t.is(l.running.timeouts, 'Timeout (tcp tcpfin udp): 1000 30 200');
    t.deepEqual(l.stopped.table, [], 'lvs_flush_on_stop flushed the whole table');
    t.is(l.stopped.daemons, '', 'both sync daemons stopped');
    t.deepEqual(l.running, k.running, 'same kernel state while running');
    t.deepEqual(l.stopped, k.stopped, 'same kernel state after stop');
  },
);

test.serial(
  'lvs_flush_on_stop VS and none keep the foreign service; lvs_sync_daemon options reach the kernel: lvsd = keepalived',
  async (t) => {
    for (const flush of ['lvs_flush_on_stop VS', '']) {
      const conf = join(lab.dir, 'b.conf');
      writeFileSync(
        conf,
        `global_defs {\n  ${flush}\n  lvs_sync_daemon d0 id 7 maxlen 1400 port 8850 ttl 2 group 239.1.2.3\n}\n${vs}`,
      );
      const want = [foreign, ...own];
      const l = await run(lab, 'lvsd', conf, want);
      const k = await run(lab, 'keepalived', conf, want);
      t.log(`lvsd (${flush || 'no flush'}) running:\n${l.running.daemons}`);
      t.regex(l.running.daemons, /master sync daemon \(mcast=d0, syncid=7/);
      t.regex(l.running.daemons, /backup sync daemon \(mcast=d0, syncid=7/);
      t.deepEqual(l.stopped.table, [foreign], `${flush || 'no flush'}: only lvsd's services removed`);
      t.deepEqual(l.running, k.running, `${flush || 'no flush'}: same kernel state while running`);
      t.deepEqual(l.stopped, k.stopped, `${flush || 'no flush'}: same kernel state after stop`);
    }
  },
);

test.serial(
  'a standalone LVS worker whose lvs_sync_daemon names an instance runs both daemons (keepalived -C: none)',
  async (t) => {
    const conf = join(lab.dir, 'c.conf');
    writeFileSync(conf, `global_defs {\n  lvs_sync_daemon d0 VI_1\n}\n${vrrp}${vs}`);
    const want = [foreign, ...own];
    const l = await run(lab, 'lvsd', conf, want);
    const k = await run(lab, 'keepalived', conf, want);
    t.regex(l.running.daemons, /master sync daemon \(mcast=d0, syncid=61/, 'id defaults to the VRID');
    t.regex(l.running.daemons, /backup sync daemon \(mcast=d0, syncid=61/);
    t.regex(l.output, /no supervisor relays VRRP states/);
    t.is(k.running.daemons, '', 'keepalived leaves the sync daemon to its VRRP process');
    t.is(l.stopped.daemons, '');
    t.deepEqual(l.stopped.table, k.stopped.table);
  },
);
