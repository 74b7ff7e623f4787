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
import { loadRunConfig } from './run-config.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { diffModels } from '../config/diff.js';
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
import { LatenessHistogram, VrrpInstance, type InstanceSpec } from '../vrrp/instance.js';
import { Notifier, type NotifyTarget, type ScriptCommand } from '../vrrp/notify.js';
import { IPPROTO_VRRP } from '../vrrp/packet.js';
import type { DropReason, StepResult } from '../vrrp/types.js';
import { machineConfigFromModel, trackersFromModel } from '../vrrp/config.js';
import {
  initSyncGroup,
  syncGroupFromStates,
  syncGroupStep,
  type SyncGroupState,
} from '../vrrp/sync-group.js';
import { startTrackers, type TrackerRunner } from './vrrp-trackers.js';
import { DROP_REASONS } from '../vrrp/types.js';
import { monotonicClock, realTimers } from './clock.js';
import { createLogger, type LogLevel } from './logger.js';
import { sdNotify } from './systemd.js';
import { reportReady } from './worker-ipc.js';
import { reloadConfig } from './vrrp-reload.js';
import { startControlServer, type ControlServer } from './control.js';
import { LvsdError } from '../core/errors.js';

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

/** What a reload did, by instance name (logged, and returned for tests). */
export interface ReloadSummary {
  unchanged: string[];
  added: string[];
  removed: string[];
  /** Rebuilt in place keeping their state (`carryOver`). */
  carried: string[];
  /** Changed VRID, family or interface: stopped and started again (a new instance to the peers). */
  replaced: string[];
  /** Settings that a reload does not apply (they need a restart). */
  notApplied: string[];
}

export interface VrrpEngine {
  instances: VrrpInstance[];
  lateness: LatenessHistogram;
  snapshot(): object;
  /**
   * Apply a new model as a desired-state diff: unchanged instances are not touched, removed ones
   * shut down (priority-0 advert, VIPs released), added ones start, changed ones keep their state.
   * Every new instance is prepared before anything changes, so a failure leaves the old setup.
   */
  reload(next: Model): Promise<ReloadSummary>;
  stop(): Promise<void>;
}

interface Prepared {
  mi: ModelInstance;
  key: string;
  link: { ifindex: number; mac: string; up: boolean };
  spec: InstanceSpec;
}

/** Build and start the engine for a loaded model (used by `run` and by tests). */
export async function startEngine(model: Model, log: Logger, rtnl: Rtnl = openRtnl()): Promise<VrrpEngine> {
  let current = model;
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
  const byName = new Map<string, VrrpInstance>();
  const groupNotified = new Map<string, string>();
  const groupTargets = new Map<string, NotifyTarget>();
  const setSyncGroups = (m: Model, keepStates: boolean) => {
    syncGroups.clear();
    groupOf.clear();
    groupTargets.clear();
    for (const sg of m.syncGroups) {
      const states = Object.fromEntries(sg.members.map((n) => [n, byName.get(n)?.state]));
      syncGroups.set(
        sg.name,
        keepStates ? syncGroupFromStates(sg.name, sg.members, states) : initSyncGroup(sg.name, sg.members),
      );
      for (const n of sg.members) groupOf.set(n, sg.name);
      groupTargets.set(sg.name, notifyTargetOf('GROUP', sg.name, sg.notify));
    }
  };
  setSyncGroups(model, false);
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

  /** Resolve everything an instance needs from the system (no side effects on running instances). */
  const prepare = async (mi: ModelInstance, m: Model): Promise<Prepared> => {
    const link = await linkOf(mi.interface);
    const addrs = await rtnl.listAddresses(link.ifindex);
    const src = primaryAddress(mi, addrs);
    if (!src) throw new Error(`instance ${mi.name}: no ${mi.family} source address on ${mi.interface}`);
    const vips: AddrSpec[] = [];
    for (const v of mi.vips)
      vips.push(vipSpec(v, v.dev === mi.interface ? link.ifindex : (await linkOf(v.dev)).ifindex));
    const machine = machineConfigFromModel(mi, m.global, { primaryAddress: src });
    const sg = m.syncGroups.find((x) => x.name === mi.syncGroup || x.members.includes(mi.name));
    const tracked = sg
      ? {
          ...mi,
          trackInterfaces: [...mi.trackInterfaces, ...sg.trackInterfaces],
          trackScripts: [...mi.trackScripts, ...sg.trackScripts],
          trackFiles: [...mi.trackFiles, ...sg.trackFiles],
        }
      : mi;
    const mcast = mi.family === 'inet' ? m.global.vrrpMcastGroup4 : m.global.vrrpMcastGroup6;
    const spec: InstanceSpec = {
      machine,
      destinations: machine.unicastPeers.length > 0 ? machine.unicastPeers : [mcast],
      source: src,
      mac: link.mac,
      vips,
      notify: notifyTargetOf('INSTANCE', mi.name, mi.notify),
      router: ipv6Forwarding(mi.interface),
      garpIntervalMs: mi.garp.garpIntervalMs,
      gnaIntervalMs: mi.garp.gnaIntervalMs,
      trackers: trackersFromModel(tracked, m),
    };
    return { mi, key: `${mi.interface}|${mi.family}`, link, spec };
  };

  /** Open the sockets of a prepared instance (once per interface/family) and register it. */
  const register = (p: Prepared): VrrpInstance => {
    const { mi, key, link } = p;
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
        onPacket: (pk) => holder.g && onPacket(holder.g)(pk),
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
    const inst = new VrrpInstance(p.spec, {
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
    });
    grp.byVrid.set(mi.vrid, inst);
    instances.push(inst);
    byName.set(inst.name, inst);
    return inst;
  };

  const unregister = (inst: VrrpInstance) => {
    for (const grp of groups.values()) if (grp.byVrid.get(inst.vrid) === inst) grp.byVrid.delete(inst.vrid);
    const i = instances.indexOf(inst);
    if (i >= 0) instances.splice(i, 1);
    byName.delete(inst.name);
  };

  /** Start registered instances: stale VIPs removed, machine started, link down fed. */
  const startAll = async (list: readonly VrrpInstance[], m: Model) => {
    for (const inst of list) await inst.start();
    for (const inst of list) {
      const mi = m.vrrpInstances.find((x) => x.name === inst.name);
      const l = mi && links.get(mi.interface);
      if (l && !l.up) inst.link(false);
    }
  };

  /** Trackers of a model: scripts and track files run, tracked interfaces get their current state. */
  const runTrackers = async (m: Model) => {
    const t = startTrackers(m, instances, log);
    const tracked = new Set(m.vrrpInstances.flatMap((x) => x.trackInterfaces.map((r) => r.name)));
    for (const sg of m.syncGroups) for (const r of sg.trackInterfaces) tracked.add(r.name);
    for (const name of tracked) {
      const info = await rtnl.getLink(name);
      t.link(name, info?.up ?? false);
    }
    return t;
  };

  const initial: VrrpInstance[] = [];
  for (const mi of model.vrrpInstances) initial.push(register(await prepare(mi, model)));

  let trackers: TrackerRunner | undefined;
  const unsubscribe = rtnl.onLinkEvent((e) => {
    if (e.name) trackers?.link(e.name, e.up && !e.deleted);
    for (const [name, l] of links) {
      if (l.ifindex !== e.ifindex) continue;
      l.up = e.up && !e.deleted;
      for (const inst of instances) {
        const mi = current.vrrpInstances.find((m) => m.name === inst.name);
        if (mi?.interface === name) inst.link(l.up);
      }
    }
  });

  await startAll(initial, model);
  // initial state of tracked interfaces (then link events keep them current)
  trackers = await runTrackers(model);

  const reload = async (next: Model): Promise<ReloadSummary> => {
    const plan = diffModels(current, next);
    const d = plan.vrrpInstances;
    const summary: ReloadSummary = {
      unchanged: d.unchanged,
      added: d.added,
      removed: d.removed,
      carried: [],
      replaced: [],
      notApplied: [],
    };
    if (plan.empty) {
      current = next;
      return summary;
    }
    if (plan.globalChanged) {
      const before = { m4: current.global.vrrpMcastGroup4, m6: current.global.vrrpMcastGroup6 };
      if (before.m4 !== next.global.vrrpMcastGroup4 || before.m6 !== next.global.vrrpMcastGroup6)
        summary.notApplied.push('vrrp_mcast_group4/6 (sockets keep their groups until restart)');
      if (
        current.global.vrrpNotifyFifo?.path !== next.global.vrrpNotifyFifo?.path ||
        current.global.notifyFifo?.path !== next.global.notifyFifo?.path ||
        current.global.scriptUser?.user !== next.global.scriptUser?.user
      )
        summary.notApplied.push('notify FIFOs / script_user (until restart)');
    }
    const prevByName = new Map(current.vrrpInstances.map((m) => [m.name, m]));
    const nextByName = new Map(next.vrrpInstances.map((m) => [m.name, m]));
    // 1. prepare every new or changed instance before touching anything
    const prepared = new Map<string, Prepared>();
    for (const name of [...d.added, ...d.changed]) {
      const mi = nextByName.get(name);
      if (mi) prepared.set(name, await prepare(mi, next));
    }
    // 2. removed instances, and changed ones that are a different instance to the peers
    const stopping: VrrpInstance[] = [];
    for (const name of d.removed) {
      const inst = byName.get(name);
      if (inst) stopping.push(inst);
    }
    for (const name of d.changed) {
      const a = prevByName.get(name);
      const b = nextByName.get(name);
      const inst = byName.get(name);
      if (!a || !b || !inst) continue;
      if (a.vrid !== b.vrid || a.family !== b.family || a.interface !== b.interface) {
        summary.replaced.push(name);
        stopping.push(inst);
      }
    }
    const leaving = new Set(stopping);
    for (const name of [...d.added, ...summary.replaced]) {
      const p = prepared.get(name);
      const other = p && groups.get(p.key)?.byVrid.get(p.mi.vrid);
      if (p && other && !leaving.has(other))
        throw new Error(`instance ${name}: VRID ${p.mi.vrid} is in use by ${other.name} on ${p.key}`);
    }
    void trackers?.stop(); // its scripts are killed while the reload goes on
    trackers = undefined;
    try {
      for (const inst of stopping) unregister(inst);
      await Promise.all(stopping.map((i) => i.shutdown()));
      // 3. changed in place: keep state
      for (const name of d.changed) {
        const inst = byName.get(name);
        const p = prepared.get(name);
        if (!inst || !p || summary.replaced.includes(name)) continue;
        inst.reconfigure(p.spec);
        summary.carried.push(name);
      }
      // 4. new instances (added, replaced)
      const started: VrrpInstance[] = [];
      for (const name of [...d.added, ...summary.replaced]) {
        const p = prepared.get(name);
        if (p) started.push(register(p));
      }
      current = next;
      setSyncGroups(next, true);
      await startAll(started, next);
    } finally {
      // whatever happened above, the trackers of the instances now running run again
      trackers = await runTrackers(current);
    }
    // sockets nobody uses any more
    for (const [key, grp] of groups) {
      if (grp.byVrid.size > 0) continue;
      grp.sock.close();
      groups.delete(key);
    }
    return summary;
  };

  return {
    instances,
    lateness,
    snapshot: () => ({
      pid: process.pid,
      instances: instances.map((i) => i.snapshot()),
      sockets: Object.fromEntries([...groups].map(([k, v]) => [k, { drops: v.drops }])),
      timerLateness: lateness.toJSON(),
      notify: notifier.counters,
      trackers: trackers?.counters ?? { scriptRuns: 0, scriptTimeouts: 0, scriptErrors: 0 },
    }),
    reload,
    async stop() {
      unsubscribe();
      await trackers?.stop();
      await Promise.all(instances.map((i) => i.shutdown()));
      for (const grp of groups.values()) grp.sock.close();
      for (const f of frames.values()) f.close();
      await notifier.close();
      rtnl.close();
    },
  };
}

function logLevel(v: string | undefined): LogLevel {
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

export async function run(opts: RunOptions): Promise<number> {
  // Install the signal handlers first: SIGUSR1's and SIGHUP's default actions would kill the
  // process, and a SIGTERM during start-up must still end in a graceful release. A SIGHUP that
  // arrives during start-up is remembered and handled once the engine runs.
  let dump = (): void => {};
  const onUsr1 = () => dump();
  let hupPending = false;
  let reload = (): void => {
    hupPending = true;
  };
  const onHup = () => reload();
  let requestStop = (): void => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  process.on('SIGUSR1', onUsr1);
  process.on('SIGHUP', onHup);
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
    return await runEngine(opts, runDir, stopRequested, {
      setDump: (d) => (dump = d),
      setReload: (r) => {
        reload = r;
        if (hupPending) r();
      },
    });
  } finally {
    rmSync(pidFile, { force: true });
    process.off('SIGUSR1', onUsr1);
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', requestStop);
    process.off('SIGINT', requestStop);
  }
}

async function runEngine(
  opts: RunOptions,
  runDir: string,
  stopRequested: Promise<void>,
  hooks: { setDump: (d: () => void) => void; setReload: (r: () => void) => void },
): Promise<number> {
  const log = createLogger({
    name: 'vrrp',
    level: logLevel(process.env['LVSD_LOG_LEVEL']),
  });
  const { model, diagnostics } = await loadRunConfig(opts);
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
  hooks.setDump(dump);
  // reloads run one after another; a SIGHUP during a reload queues one more
  let chain: Promise<void> = Promise.resolve();
  hooks.setReload(() => {
    log.info('SIGHUP: reloading the configuration');
    chain = chain.then(() => reloadConfig(opts, engine, log));
  });
  let control: ControlServer | undefined;
  const sockPath = join(runDir, 'vrrp.sock');
  try {
    control = await startControlServer(
      sockPath,
      (req) => {
        if (req.cmd === 'status') return Promise.resolve(engine.snapshot());
        return Promise.reject(
          new LvsdError(
            'LVSD_E_CONTROL',
            `the VRRP worker does not handle '${req.cmd}' (ask the LVS worker)`,
          ),
        );
      },
      log,
    );
  } catch (e) {
    log.warn('cannot serve the control socket', { path: sockPath, error: (e as Error).message });
  }
  reportReady();
  log.info('VRRP engine started', { instances: engine.instances.length });
  await stopRequested;
  sdNotify(['STOPPING=1'], log);
  await chain;
  await control?.close();
  await engine.stop();
  dump();
  log.info('VRRP engine stopped');
  return 0;
}
