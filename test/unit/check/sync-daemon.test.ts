// SPDX-License-Identifier: Apache-2.0
// The IPVS sync daemon following lvs_sync_daemon (keepalived's rules) on the fake kernel.
import test from 'ava';
import {
  SyncDaemonFollower,
  roleForVrrpState,
  syncDaemonOps,
  syncDaemonSettingFromModel,
  type SyncDaemonSetting,
} from '../../../src/check/sync-daemon.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import type { SyncDaemon } from '../../../src/ipvs/model.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { silentLogger } from '../../fakes/silent-logger.js';

function loadModelFromText(text: string): Model {
  const { model, diagnostics } = parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {} });
  if (!model) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return model;
}

const follow: SyncDaemonSetting = { daemon: { interface: 'eth1', syncId: 51 }, instance: 'VI_1' };
const both: SyncDaemonSetting = { daemon: { interface: 'eth1', syncId: 0, port: 8850 } };

function states(k: FakeIpvsKernel): string {
  return k.extras.daemons
    .map((d) => `${d.state}:${d.interface}:${d.syncId}`)
    .sort()
    .join(' ');
}

test('with an instance: backup at start, master while MASTER, backup otherwise, none at STOP', async (t) => {
  const k = new FakeIpvsKernel();
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  t.is(states(k), 'backup:eth1:51');
  const rows: Array<[string, string, string]> = [
    ['VI_1', 'MASTER', 'master:eth1:51'],
    ['VI_2', 'BACKUP', 'master:eth1:51'], // another instance: ignored
    ['VI_1', 'FAULT', 'backup:eth1:51'],
    ['VI_1', 'MASTER', 'master:eth1:51'],
    ['VI_1', 'BACKUP', 'backup:eth1:51'],
    ['VI_1', 'STOP', ''],
    ['VI_1', 'BACKUP', 'backup:eth1:51'],
  ];
  for (const [inst, st, want] of rows) {
    await f.vrrpState(inst, st);
    t.is(states(k), want, `${inst} ${st}`);
  }
  await f.stop();
  t.is(states(k), '');
});

test('becoming master stops the backup daemon before starting the master one (keepalived order)', async (t) => {
  const k = new FakeIpvsKernel();
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  k.log.length = 0;
  await f.vrrpState('VI_1', 'MASTER');
  t.deepEqual(
    k.log.map((o) =>
      o.op === 'startDaemon' ? `start ${o.daemon.state}` : o.op === 'stopDaemon' ? `stop ${o.state}` : o.op,
    ),
    ['stop backup', 'start master'],
  );
});

test('without an instance (or without a relay), master and backup run at once; state reports change nothing', async (t) => {
  for (const [setting, follows] of [
    [both, true],
    [follow, false],
  ] as const) {
    const k = new FakeIpvsKernel();
    const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
    await f.configure(setting, follows);
    const want = `backup:eth1:${setting.daemon.syncId} master:eth1:${setting.daemon.syncId}`;
    t.is(states(k), want);
    await f.vrrpState('VI_1', 'MASTER');
    t.is(states(k), want);
    t.is(f.role, 'both');
    await f.stop();
    t.is(states(k), '');
  }
});

test('reload: same settings keep the running daemon; changed settings restart it; removed stops it', async (t) => {
  const k = new FakeIpvsKernel();
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  await f.vrrpState('VI_1', 'MASTER');
  k.log.length = 0;
  await f.configure(follow, true);
  t.deepEqual(k.log, [], 'nothing touched, still master');
  t.is(states(k), 'master:eth1:51');
  await f.configure({ ...follow, daemon: { ...follow.daemon, syncId: 7 } }, true);
  t.is(states(k), 'master:eth1:7', 'the role is kept across a reload of the same instance');
  await f.vrrpState('VI_2', 'BACKUP');
  await f.configure({ ...follow, instance: 'VI_2' }, true);
  t.is(states(k), 'backup:eth1:51', 'a newly named instance: its last reported state');
  await f.configure({ ...follow, instance: 'VI_3' }, true);
  t.is(states(k), 'backup:eth1:51', 'an instance never reported: backup');
  await f.vrrpState('VI_3', 'MASTER');
  t.is(states(k), 'master:eth1:51');
  await f.configure(undefined, true);
  t.is(states(k), '');
});

test('a stale daemon left by an earlier run is replaced; a foreign one is left alone once lvsd no longer manages it', async (t) => {
  const k = new FakeIpvsKernel();
  k.extras.daemons.push({ state: 'master', interface: 'eth9', syncId: 3 });
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  t.is(states(k), 'backup:eth1:51', 'lvs_sync_daemon owns the sync daemon, as in keepalived');
  const k2 = new FakeIpvsKernel();
  k2.extras.daemons.push({ state: 'master', interface: 'eth9', syncId: 3 });
  const f2 = new SyncDaemonFollower({ kernel: k2, log: silentLogger });
  await f2.configure(undefined, true);
  await f2.stop();
  t.is(states(k2), 'master:eth9:3', 'without lvs_sync_daemon lvsd never touches it');
});

test('reports arriving during a change are applied in order; the last one wins', async (t) => {
  const k = new FakeIpvsKernel();
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  const p = [f.vrrpState('VI_1', 'MASTER'), f.vrrpState('VI_1', 'BACKUP'), f.vrrpState('VI_1', 'MASTER')];
  await Promise.all(p);
  t.is(states(k), 'master:eth1:51');
});

test('a kernel failure is counted and logged, and the next report tries again', async (t) => {
  const k = new FakeIpvsKernel();
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.configure(follow, true);
  k.failAt = k.log.length + 1; // the start of the master daemon
  await f.vrrpState('VI_1', 'MASTER');
  t.is(f.counters.errors, 1);
  t.is(states(k), '');
  await f.vrrpState('VI_1', 'MASTER');
  t.is(states(k), 'master:eth1:51');
});

const opRows: Array<{ name: string; have: SyncDaemon[]; want: SyncDaemon[]; ops: string[] }> = [
  { name: 'nothing to do', have: [], want: [], ops: [] },
  {
    name: "unset settings are the kernel's",
    have: [
      {
        state: 'backup',
        interface: 'eth1',
        syncId: 1,
        maxLen: 1472,
        port: 8848,
        ttl: 1,
        group: '224.0.0.81',
      },
    ],
    want: [{ state: 'backup', interface: 'eth1', syncId: 1 }],
    ops: [],
  },
  {
    name: 'a set setting that differs restarts',
    have: [{ state: 'backup', interface: 'eth1', syncId: 1, ttl: 1 }],
    want: [{ state: 'backup', interface: 'eth1', syncId: 1, ttl: 2 }],
    ops: ['stop backup', 'start backup'],
  },
  {
    name: 'both from none: master first',
    have: [],
    want: [
      { state: 'backup', interface: 'eth1', syncId: 1 },
      { state: 'master', interface: 'eth1', syncId: 1 },
    ],
    ops: ['start master', 'start backup'],
  },
];
for (const r of opRows)
  test(`syncDaemonOps: ${r.name}`, (t) => {
    const ops = syncDaemonOps(r.have, r.want, new Set(['master', 'backup']));
    t.deepEqual(
      ops.map((o) =>
        o.op === 'startDaemon' ? `start ${o.daemon.state}` : o.op === 'stopDaemon' ? `stop ${o.state}` : o.op,
      ),
      r.ops,
    );
  });

test('roleForVrrpState: MASTER → master, STOP → none, the rest → backup', (t) => {
  t.is(roleForVrrpState('MASTER'), 'master');
  t.is(roleForVrrpState('BACKUP'), 'backup');
  t.is(roleForVrrpState('FAULT'), 'backup');
  t.is(roleForVrrpState('STOP'), 'none');
});

test('settings from the model: id defaults to the instance VRID, else 0; options carried', (t) => {
  const vrrp = `vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 10.0.0.100\n }\n}\n`;
  const rows: Array<[string, SyncDaemonSetting | undefined]> = [
    ['', undefined],
    ['lvs_sync_daemon eth1 VI_1', { daemon: { interface: 'eth1', syncId: 51 }, instance: 'VI_1' }],
    ['lvs_sync_daemon eth1 inst VI_1 id 9', { daemon: { interface: 'eth1', syncId: 9 }, instance: 'VI_1' }],
    [
      'lvs_sync_daemon eth1 maxlen 1400 port 8850 ttl 2 group 239.1.1.1',
      { daemon: { interface: 'eth1', syncId: 0, maxLen: 1400, group: '239.1.1.1', port: 8850, ttl: 2 } },
    ],
  ];
  for (const [line, want] of rows) {
    const model = loadModelFromText(`global_defs {\n ${line}\n}\n${vrrp}`);
    t.deepEqual(syncDaemonSettingFromModel(model), want, line);
  }
});

test('adopt (hitless restart): the daemon the predecessor left is kept until the first state report', async (t) => {
  const k = new FakeIpvsKernel();
  const before = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await before.configure(follow, true);
  await before.vrrpState('VI_1', 'MASTER'); // the predecessor hands over here, its daemon running
  k.log.length = 0;
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.adopt(follow, true);
  t.is(states(k), 'master:eth1:51');
  t.deepEqual(k.log, [], 'no stop/start of the running master daemon');
  t.is(f.role, 'master');
  await f.vrrpState('VI_1', 'BACKUP');
  t.is(states(k), 'backup:eth1:51', 'the first report decides');
  await f.stop();
  t.is(states(k), '', 'the kept daemon is lvsd’s and stops with it');
});

test('adopt: with nothing matching in the kernel, or a report already in, it is a plain start', async (t) => {
  const k = new FakeIpvsKernel();
  const other = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await other.configure({ daemon: { interface: 'eth1', syncId: 7 }, instance: 'VI_1' }, true);
  await other.vrrpState('VI_1', 'MASTER');
  const f = new SyncDaemonFollower({ kernel: k, log: silentLogger });
  await f.adopt(follow, true);
  t.is(states(k), 'backup:eth1:51', 'a master daemon with other settings is replaced');

  const k2 = new FakeIpvsKernel();
  const g = new SyncDaemonFollower({ kernel: k2, log: silentLogger });
  const adopting = g.adopt(follow, true);
  const reported = g.vrrpState('VI_1', 'MASTER');
  await Promise.all([adopting, reported]);
  t.is(states(k2), 'master:eth1:51', 'a report that comes first decides');

  const k3 = new FakeIpvsKernel();
  await new SyncDaemonFollower({ kernel: k3, log: silentLogger }).adopt(both, true);
  t.is(states(k3), 'backup:eth1:0 master:eth1:0', 'without an instance: both, as configure');
});
