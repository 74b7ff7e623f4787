// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run --vrrp-only`: the VRRP engine process (composition root). Loads the config, opens one
 * raw VRRP socket per (interface, family) and one AF_PACKET socket per interface, builds a
 * VrrpInstance per `vrrp_instance`, follows link events, and on SIGTERM/SIGINT releases
 * gracefully (priority-0 advert, VIPs removed) and returns 0. SIGUSR1 writes a JSON stats dump
 * (states, counters, drops by reason, timer lateness) to `$LVSD_RUN_DIR/vrrp-stats.json`
 * [/run/lvsd]; `vrrp.pid` there exists while the process runs (written once the signal handlers are in).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOptions } from '../cli/commands/run.js';
import type { Logger } from '../core/log.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type {
  GlobalDefs,
  Model,
  NotifyScripts,
  ScriptSpec,
  Vip,
  VrrpInstance as ModelInstance,
} from '../config/model.js';
import { IpRawSocket, PacketSocket, type RxPacket } from '../net/raw-socket.js';
import { openRtnl, SCOPES, type AddrEntry, type AddrSpec, type Rtnl } from '../netlink/rtnl-socket.js';
import { LatenessHistogram, VrrpInstance } from '../vrrp/instance.js';
import { Notifier, type NotifyTarget, type ScriptCommand } from '../vrrp/notify.js';
import { IPPROTO_VRRP } from '../vrrp/packet.js';
import type { DropReason, StepResult } from '../vrrp/types.js';
import { machineConfigFromModel, trackersFromModel } from '../vrrp/config.js';
import { initSyncGroup, syncGroupStep, type SyncGroupState } from '../vrrp/sync-group.js';
import { startTrackers } from './vrrp-trackers.js';
import { DROP_REASONS } from '../vrrp/types.js';
import { monotonicClock, realTimers } from './clock.js';
import { createLogger, type LogLevel } from './logger.js';
import { sdNotify } from './systemd.js';

/** The NA Router flag: IPv6 forwarding on the interface (keepalived reads the same sysctl). */
function ipv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function notifyTargetOf(kind: 'INSTANCE' | 'GROUP', name: string, n: NotifyScripts): NotifyTarget {
  const cmd = (x: ScriptSpec | undefined): ScriptCommand | undefined =>
    x && {
      argv: x.argv,
      ...(x.user !== undefined ? { user: x.user } : {}),
      ...(x.group !== undefined ? { group: x.group } : {}),
    };
  const master = cmd(n.master);
  const backup = cmd(n.backup);
  const fault = cmd(n.fault);
  const stop = cmd(n.stop);
  const any = cmd(n.any);
  return {
    kind,
    name,
    ...(master ? { master } : {}),
    ...(backup ? { backup } : {}),
    ...(fault ? { fault } : {}),
    ...(stop ? { stop } : {}),
    ...(any ? { any } : {}),
  };
}

/** IPv4 broadcast for `brd +`. */
function broadcastOf(address: string, prefix: number): string {
  const n = address.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const b = (n | ~mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.');
}

function vipSpec(v: Vip, ifindex: number): AddrSpec {
  const scope =
    v.scope === undefined ? undefined : ((SCOPES as Record<string, number>)[v.scope] ?? Number(v.scope));
  const brd = v.brd === '+' ? broadcastOf(v.address, v.prefix) : v.brd === '-' ? undefined : v.brd;
  return {
    family: v.family,
    address: v.address,
    prefixLen: v.prefix,
    ifindex,
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(scope !== undefined && Number.isFinite(scope) ? { scope } : {}),
    ...(brd !== undefined && v.family === 'inet' ? { broadcast: brd } : {}),
  };
}

/** keepalived's choice of advert source: unicast_src_ip / mcast_src_ip, else the interface's address. */
function primaryAddress(i: ModelInstance, addrs: readonly AddrEntry[]): string | undefined {
  const set = i.unicastSrcIp ?? i.mcastSrcIp;
  if (set) return set;
  const vips = new Set(i.vips.map((v) => v.address));
  const mine = addrs.filter((a) => a.family === i.family && !vips.has(a.address));
  if (i.family === 'inet6') return mine.find((a) => a.address.startsWith('fe80:'))?.address;
  return (mine.find((a) => !a.secondary) ?? mine[0])?.address;
}

interface SocketGroup {
  sock: IpRawSocket;
  byVrid: Map<number, VrrpInstance>;
  drops: Record<DropReason, number>;
}

export interface VrrpEngine {
  instances: VrrpInstance[];
  lateness: LatenessHistogram;
  snapshot(): object;
  stop(): Promise<void>;
}

/** Build and start the engine for a loaded model (used by `run` and by tests). */
export async function startEngine(model: Model, log: Logger, rtnl: Rtnl = openRtnl()): Promise<VrrpEngine> {
  const lateness = new LatenessHistogram();
  const g: GlobalDefs = model.global;
  const fifos = [g.vrrpNotifyFifo?.path, g.notifyFifo?.path].filter((p): p is string => p !== undefined);
  const notifier = new Notifier({ log, fifos, ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}) });
  const groups = new Map<string, SocketGroup>();
  const frames = new Map<number, PacketSocket>();
  const instances: VrrpInstance[] = [];
  const links = new Map<string, { ifindex: number; mac: string; up: boolean }>();
  // vrrp_sync_group: members follow each other (sync-group.ts); groups by name, members by name
  const syncGroups = new Map<string, SyncGroupState>();
  const groupOf = new Map<string, string>();
  for (const sg of model.syncGroups) {
    syncGroups.set(sg.name, initSyncGroup(sg.name, sg.members));
    for (const m of sg.members) groupOf.set(m, sg.name);
  }
  const byName = new Map<string, VrrpInstance>();
  const groupNotified = new Map<string, string>();
  const groupTargets = new Map<string, NotifyTarget>();
  for (const sg of model.syncGroups) groupTargets.set(sg.name, notifyTargetOf('GROUP', sg.name, sg.notify));
  const onStep = (inst: VrrpInstance, r: StepResult) => {
    const gname = groupOf.get(inst.name);
    const grp = gname === undefined ? undefined : syncGroups.get(gname);
    if (!grp || !gname) return;
    const { group, commands } = syncGroupStep(grp, inst.name, r);
    syncGroups.set(gname, group);
    for (const c of commands) byName.get(c.member)?.feed(c.event);
    // the group's own notify (GROUP "name" STATE) once every member is in the same state
    const now = syncGroups.get(gname);
    const states = now ? now.members.map((m) => now.states[m]) : [];
    const first = states[0];
    if (first && first !== 'init' && states.every((x) => x === first) && groupNotified.get(gname) !== first) {
      groupNotified.set(gname, first);
      const target = groupTargets.get(gname);
      const name = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' } as const;
      if (target) notifier.stateChanged(target, name[first], 0);
    }
  };

  const linkOf = async (name: string) => {
    let l = links.get(name);
    if (!l) {
      const info = await rtnl.getLink(name);
      if (!info) throw new Error(`interface ${name} not found`);
      l = { ifindex: info.ifindex, mac: info.mac, up: info.up };
      links.set(name, l);
    }
    return l;
  };

  const onPacket = (grp: SocketGroup) => (p: RxPacket) => {
    const vrid = p.data.length >= 2 ? p.data[1] : undefined;
    const inst = vrid === undefined ? undefined : grp.byVrid.get(vrid);
    if (!inst) {
      grp.drops[vrid === undefined ? 'truncated' : 'badVrid']++;
      return;
    }
    inst.receive(p.data, { family: p.family, src: p.src, dst: p.dst, ttl: p.ttl });
  };

  for (const mi of model.vrrpInstances) {
    const link = await linkOf(mi.interface);
    const addrs = await rtnl.listAddresses(link.ifindex);
    const src = primaryAddress(mi, addrs);
    if (!src) throw new Error(`instance ${mi.name}: no ${mi.family} source address on ${mi.interface}`);
    const key = `${mi.interface}|${mi.family}`;
    let grp = groups.get(key);
    if (!grp) {
      const drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
      const holder: { g?: SocketGroup } = {};
      const sock = IpRawSocket.open({
        family: mi.family,
        protocol: IPPROTO_VRRP,
        ifname: mi.interface,
        ifindex: link.ifindex,
        groups: [mi.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6],
        onPacket: (p) => holder.g && onPacket(holder.g)(p),
      });
      grp = { sock, byVrid: new Map(), drops };
      holder.g = grp;
      groups.set(key, grp);
    }
    if (grp.byVrid.has(mi.vrid)) throw new Error(`instance ${mi.name}: VRID ${mi.vrid} used twice on ${key}`);
    let frame = frames.get(link.ifindex);
    if (!frame) {
      frame = PacketSocket.open({ ifindex: link.ifindex });
      frames.set(link.ifindex, frame);
    }
    const vips: AddrSpec[] = [];
    for (const v of mi.vips)
      vips.push(vipSpec(v, v.dev === mi.interface ? link.ifindex : (await linkOf(v.dev)).ifindex));
    const machine = machineConfigFromModel(mi, g, { primaryAddress: src });
    const sg = model.syncGroups.find((x) => x.name === mi.syncGroup || x.members.includes(mi.name));
    const tracked = sg
      ? {
          ...mi,
          trackInterfaces: [...mi.trackInterfaces, ...sg.trackInterfaces],
          trackScripts: [...mi.trackScripts, ...sg.trackScripts],
          trackFiles: [...mi.trackFiles, ...sg.trackFiles],
        }
      : mi;
    const mcast = mi.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6;
    const notifyTarget = notifyTargetOf('INSTANCE', mi.name, mi.notify);
    const inst = new VrrpInstance(
      {
        machine,
        destinations: machine.unicastPeers.length > 0 ? machine.unicastPeers : [mcast],
        source: src,
        mac: link.mac,
        vips,
        notify: notifyTarget,
        router: ipv6Forwarding(mi.interface),
        garpIntervalMs: mi.garp.garpIntervalMs,
        gnaIntervalMs: mi.garp.gnaIntervalMs,
        trackers: trackersFromModel(tracked, model),
      },
      {
        clock: monotonicClock,
        timers: realTimers,
        log,
        rtnl,
        adverts: grp.sock,
        frames: frame,
        notifier,
        lateness,
        onStep,
        defer: (fn) => void setImmediate(fn),
      },
    );
    grp.byVrid.set(mi.vrid, inst);
    instances.push(inst);
    byName.set(inst.name, inst);
  }

  const trackers = startTrackers(model, instances, log);
  const unsubscribe = rtnl.onLinkEvent((e) => {
    if (e.name) trackers.link(e.name, e.up && !e.deleted);
    for (const [name, l] of links) {
      if (l.ifindex !== e.ifindex) continue;
      l.up = e.up && !e.deleted;
      for (const inst of instances) {
        const mi = model.vrrpInstances.find((m) => m.name === inst.name);
        if (mi?.interface === name) inst.link(l.up);
      }
    }
  });

  for (const inst of instances) await inst.start();
  for (const inst of instances) {
    const mi = model.vrrpInstances.find((m) => m.name === inst.name);
    const l = mi && links.get(mi.interface);
    if (l && !l.up) inst.link(false);
  }
  // initial state of tracked interfaces (then link events keep them current)
  const tracked = new Set(model.vrrpInstances.flatMap((m) => m.trackInterfaces.map((r) => r.name)));
  for (const sg of model.syncGroups) for (const r of sg.trackInterfaces) tracked.add(r.name);
  for (const name of tracked) {
    const info = await rtnl.getLink(name);
    trackers.link(name, info?.up ?? false);
  }

  return {
    instances,
    lateness,
    snapshot: () => ({
      pid: process.pid,
      instances: instances.map((i) => i.snapshot()),
      sockets: Object.fromEntries([...groups].map(([k, v]) => [k, { drops: v.drops }])),
      timerLateness: lateness.toJSON(),
      notify: notifier.counters,
      trackers: trackers.counters,
    }),
    async stop() {
      unsubscribe();
      trackers.stop();
      await Promise.all(instances.map((i) => i.shutdown()));
      for (const grp of groups.values()) grp.sock.close();
      for (const f of frames.values()) f.close();
      notifier.close();
      rtnl.close();
    },
  };
}

function logLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

export async function run(opts: RunOptions): Promise<number> {
  // Install the signal handlers first: SIGUSR1's default action would kill the process, and a
  // SIGTERM during start-up must still end in a graceful release.
  let dump = (): void => {};
  const onUsr1 = () => dump();
  let requestStop = (): void => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  process.on('SIGUSR1', onUsr1);
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  // the pidfile appears once the signal handlers are in place (so SIGUSR1 is safe to send)
  const runDir = process.env['LVSD_RUN_DIR'] ?? '/run/lvsd';
  const pidFile = join(runDir, 'vrrp.pid');
  try {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch (e) {
    opts.io.stderr(`lvsd run --vrrp-only: cannot write ${pidFile}: ${(e as Error).message}\n`);
  }
  try {
    return await runEngine(opts, runDir, stopRequested, (d) => (dump = d));
  } finally {
    rmSync(pidFile, { force: true });
    process.off('SIGUSR1', onUsr1);
    process.off('SIGTERM', requestStop);
    process.off('SIGINT', requestStop);
  }
}

async function runEngine(
  opts: RunOptions,
  runDir: string,
  stopRequested: Promise<void>,
  setDump: (d: () => void) => void,
): Promise<number> {
  const log = createLogger({
    name: 'vrrp',
    level: logLevel(process.env['LVSD_LOG_LEVEL']),
  });
  const { model, diagnostics } = await loadConfig(
    opts.configFile,
    opts.configId !== undefined ? { configId: opts.configId } : {},
  );
  for (const d of diagnostics) opts.io.stderr(formatDiagnostic(d) + '\n');
  if (!model) return 1;
  let engine: VrrpEngine;
  try {
    engine = await startEngine(model, log);
  } catch (e) {
    opts.io.stderr(`lvsd run --vrrp-only: ${(e as Error).message}\n`);
    return 1;
  }
  const dump = () => {
    try {
      mkdirSync(runDir, { recursive: true });
      const file = join(runDir, 'vrrp-stats.json');
      writeFileSync(`${file}.tmp`, JSON.stringify(engine.snapshot(), null, 2));
      renameSync(`${file}.tmp`, file); // readers never see a half-written dump
    } catch (e) {
      log.warn('cannot write stats dump', { error: (e as Error).message });
    }
  };
  setDump(dump);
  sdNotify(['READY=1', `STATUS=${engine.instances.length} VRRP instances`], log);
  log.info('VRRP engine started', { instances: engine.instances.length });
  await stopRequested;
  sdNotify(['STOPPING=1'], log);
  await engine.stop();
  dump();
  log.info('VRRP engine stopped');
  return 0;
}
