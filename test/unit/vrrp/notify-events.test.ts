// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's VRRP notifications beyond state changes, on the instance shell (fake clock, fake
 * ports, a recording notifier) and through the real Notifier (a real FIFO, real scripts):
 * `notify_master_rx_lower_pri` (script without arguments, FIFO `MASTER_RX_LOWER_PRI` with our
 * priority), `notify_priority_changes` (FIFO `MASTER_PRIORITY` / `BACKUP_PRIORITY`, in the state the
 * change happened in), `notify_deleted` (a reload's removal announces DELETED, else FAULT, else
 * nothing from FAULT), group lines with priority 0, and `smtp_alert` handed to the mail port.
 */
import test from 'ava';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { fakeRouting } from '../../fakes/fake-vrrp-ports.js';
import type { AddrEntry, AddrSpec } from '../../../src/netlink/rtnl.js';
import {
  LatenessHistogram,
  VrrpInstance,
  type InstanceSpec,
  type NotifyPort,
} from '../../../src/vrrp/instance.js';
import { deletedAs, type NotifyTarget } from '../../../src/vrrp/notify.js';
import { Notifier } from '../../../src/vrrp/notifier.io.js';
import { buildAdvert } from '../../../src/vrrp/packet.js';
import type { MailAlert } from '../../../src/mail/alerts.js';
import { baseConfig } from './config-fixture.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpWorld, settle } from '../../fakes/fake-vrrp-ports.js';

const vip: AddrSpec = { family: 'inet', address: '10.0.0.100', prefixLen: 32, ifindex: 2 };

function setup(notify: Partial<NotifyTarget> = {}, priority = 100) {
  const clock = new FakeClock(1000);
  const notes: string[] = [];
  const notifier: Required<NotifyPort> = {
    stateChanged: (t, s, p) => void notes.push(`${t.kind} ${t.name} ${s} ${p}`),
    masterRxLowerPri: (t, p) => void notes.push(`${t.name} MASTER_RX_LOWER_PRI ${p}`),
    // the real Notifier writes only with notify_priority_changes (tested below)
    priorityChanged: (t, s, p) =>
      void notes.push(`${t.name} priority ${s} ${p}${t.priorityChanges ? '' : ' (off)'}`),
  };
  const addrs = new Set<string>();
  const machine = baseConfig({ priority });
  const spec: InstanceSpec = {
    machine,
    destinations: ['224.0.0.18'],
    source: machine.primaryAddress,
    mac: '02:00:00:00:00:02',
    vips: [vip],
    notify: { kind: 'INSTANCE', name: 'VI_1', ...notify },
    router: false,
    trackers: [{ kind: 'file', name: 'tf', weight: 1, reverse: false }],
  };
  const inst = new VrrpInstance(spec, {
    clock,
    timers: clock,
    log: silentLogger,
    rtnl: {
      addAddress: (a) => (addrs.add(a.address), Promise.resolve('added' as const)),
      delAddress: (a) => (addrs.delete(a.address), Promise.resolve('deleted' as const)),
      listAddresses: (): Promise<AddrEntry[]> => Promise.resolve([]),
      ...fakeRouting(),
    },
    adverts: { send: () => undefined },
    frames: { send: () => undefined },
    notifier,
    lateness: new LatenessHistogram(),
  });
  return { clock, inst, notes, machine };
}

const meta = { family: 'inet' as const, src: '10.0.0.1', dst: '224.0.0.18', ttl: 255 };

async function asMaster(s: ReturnType<typeof setup>): Promise<void> {
  await s.inst.start();
  s.clock.advance(400);
  await new Promise((r) => setImmediate(r));
}

test('a MASTER hearing a lower priority: notify_master_rx_lower_pri with our priority', async (t) => {
  const s = setup({}, 150);
  await asMaster(s);
  t.is(s.inst.state.name, 'master');
  const peer = { ...s.machine, primaryAddress: meta.src };
  s.inst.receive(buildAdvert(peer, 90, '224.0.0.18'), meta);
  t.deepEqual(s.notes.slice(-1), ['VI_1 MASTER_RX_LOWER_PRI 150']);
  s.inst.receive(buildAdvert(peer, 200, '224.0.0.18'), meta);
  t.is(s.inst.state.name, 'backup');
  t.false(s.notes.slice(-1)[0]?.includes('LOWER'), 'a higher priority is no such event');
});

test('priority changes are announced in the state they happen in', async (t) => {
  const s = setup({ priorityChanges: true });
  await s.inst.start();
  s.inst.observe({ kind: 'file', name: 'tf', value: 20 });
  t.deepEqual(s.notes.slice(-1), ['VI_1 priority backup 120']);
  s.clock.advance(400);
  await new Promise((r) => setImmediate(r));
  t.is(s.inst.state.name, 'master');
  s.inst.observe({ kind: 'file', name: 'tf', value: -30 });
  t.deepEqual(s.notes.slice(-1), ['VI_1 priority master 70']);
  const quiet = setup({ priorityChanges: false });
  await quiet.inst.start();
  quiet.inst.observe({ kind: 'file', name: 'tf', value: 20 });
  t.deepEqual(quiet.notes.slice(-1), ['VI_1 priority backup 120 (off)'], 'the target carries the setting');
});

test('deletedAs: DELETED with notify_deleted, else FAULT, else nothing from FAULT (keepalived clear_diff_vrrp)', (t) => {
  t.is(deletedAs(true, 'master'), 'DELETED');
  t.is(deletedAs(true, 'fault'), 'DELETED');
  t.is(deletedAs(false, 'master'), 'FAULT');
  t.is(deletedAs(false, 'backup'), 'FAULT');
  t.is(deletedAs(false, 'fault'), undefined);
});

test('a removal by reload releases as a stop does but announces DELETED / FAULT, not STOP', async (t) => {
  const rows: Array<[string, Partial<NotifyTarget>, boolean, string | undefined]> = [
    ['notify_deleted, from MASTER', { notifyDeleted: true }, false, 'INSTANCE VI_1 DELETED 100'],
    ['no notify_deleted, from MASTER', {}, false, 'INSTANCE VI_1 FAULT 100'],
    ['no notify_deleted, from FAULT', {}, true, undefined],
    ['notify_deleted, from FAULT', { notifyDeleted: true }, true, 'INSTANCE VI_1 DELETED 100'],
  ];
  for (const [name, notify, fault, want] of rows) {
    const s = setup(notify);
    await asMaster(s);
    if (fault) s.inst.link(false);
    const before = s.notes.length;
    await s.inst.shutdown({ deleted: true });
    t.deepEqual(s.notes.slice(before), want ? [want] : [], name);
  }
  const plain = setup({ notifyDeleted: true });
  await asMaster(plain);
  await plain.inst.shutdown();
  t.deepEqual(plain.notes.slice(-1), ['INSTANCE VI_1 STOP 100'], 'a stop is still a stop');
});

test('the Notifier: FIFO lines as keepalived writes them, the deleted and lower-priority scripts, mail alerts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-notify-ev-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const out = join(dir, 'out');
  const script = join(dir, 'n.sh');
  writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> ${out}\n`);
  chmodSync(script, 0o755);
  const mails: MailAlert[] = [];
  const n = new Notifier({ log: silentLogger, fifos: [fifo], mail: { alert: (a) => void mails.push(a) } });
  const rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const inst: NotifyTarget = {
    kind: 'INSTANCE',
    name: 'VI_1',
    deleted: { argv: [script, 'deleted'] },
    masterRxLowerPri: { argv: [script, 'lower'] },
    any: { argv: [script] },
    priorityChanges: true,
    smtpAlert: true,
  };
  n.stateChanged(inst, 'MASTER', 150);
  n.masterRxLowerPri(inst, 150);
  n.priorityChanged(inst, 'master', 140);
  n.priorityChanged(inst, 'fault', 130);
  n.priorityChanged({ ...inst, priorityChanges: false }, 'backup', 120);
  n.stateChanged(inst, 'DELETED', 130);
  n.stateChanged({ kind: 'GROUP', name: 'G1', smtpAlert: true }, 'BACKUP', 0);
  const buf = Buffer.alloc(1024);
  const len = readSync(rfd, buf);
  closeSync(rfd);
  t.is(
    buf.subarray(0, len).toString(),
    [
      'INSTANCE "VI_1" MASTER 150',
      'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150',
      'INSTANCE "VI_1" MASTER_PRIORITY 140',
      'INSTANCE "VI_1" BACKUP_PRIORITY 130',
      'INSTANCE "VI_1" DELETED 130',
      'GROUP "G1" BACKUP 0',
      '',
    ].join('\n'),
  );
  for (
    let i = 0;
    i < 200 && !(existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= 4);
    i++
  )
    await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(
    readFileSync(out, 'utf8').trim().split('\n').sort(),
    [
      `${script} INSTANCE VI_1 DELETED 130`,
      `${script} INSTANCE VI_1 MASTER 150`,
      `${script} deleted`,
      `${script} lower`,
    ].sort(),
  );
  t.deepEqual(mails, [
    { kind: 'vrrpInstance', name: 'VI_1', state: 'MASTER' },
    { kind: 'vrrpInstance', name: 'VI_1', state: 'DELETED' },
    { kind: 'vrrpGroup', name: 'G1', state: 'BACKUP' },
  ]);
  await n.close();
});

test('engine reload: removed and replaced instances announce DELETED (notify_deleted) or FAULT; kept ones nothing', async (t) => {
  const model = (text: string): Model => {
    const r = parseConfigText(text, 'e.conf', { configId: 'lvs1', env: {} });
    if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    return r.model;
  };
  const block = (name: string, vrid: number, extra = ''): string =>
    `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  version 3\n  advert_int 0.1\n${extra}` +
    `  virtual_ipaddress {\n    10.0.0.${vrid}/32\n  }\n}\n`;
  const w = fakeVrrpWorld();
  const e = await VrrpEngine.start(
    model(
      block('VI_1', 51, '  notify_deleted\n') + block('VI_2', 52) + block('VI_3', 53) + block('VI_4', 54),
    ),
    w.ports,
  );
  w.clock.advance(400);
  await settle();
  const from = w.notes.length;
  // VI_1 and VI_2 removed, VI_3 replaced (another VRID), VI_4 kept
  const plan = await e.reload(model(block('VI_3', 63) + block('VI_4', 54)));
  await settle();
  t.deepEqual([plan.removed, plan.replaced, plan.unchanged], [['VI_1', 'VI_2'], ['VI_3'], ['VI_4']]);
  t.deepEqual(
    w.notes
      .slice(from)
      .filter((n) => n.state !== 'BACKUP')
      .map((n) => `${n.name} ${n.state}`)
      .sort(),
    ['VI_1 DELETED', 'VI_2 FAULT', 'VI_3 FAULT'],
  );
  await e.stop();
});
