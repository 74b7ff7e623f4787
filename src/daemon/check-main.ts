// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run --check-only`: the LVS worker. It composes the CheckManager (every health check, the
 * desired IPVS table through the one sync loop) with the real IPVS driver, probes, TCP engine,
 * scripts, notify FIFOs and drain store, and runs it as a worker (worker.ts): SIGHUP reloads
 * (checker state and drains carried over), SIGTERM/SIGINT stop (omega notifies, lvsd's services
 * removed), SIGUSR1/SIGUSR2 write the status (with scheduler lateness) to
 * `$LVSD_RUN_DIR/check-status.json`; `lvsd.sock` takes `lvsd real drain|enable`. Every 10 s the
 * scheduler's lateness window is logged when checks ran late. It sets `lvs_timeouts` (the kernel's
 * own values put back at stop) and drives the IPVS sync daemon (`lvs_sync_daemon`): in its initial
 * role at start, then following the VRRP instance states that the supervisor relays; a worker
 * started by hand (no supervisor, so no relay) runs the master and the backup daemon at once, as
 * keepalived does without an instance. A handoff stop (SIGQUIT, hitless restart) leaves the IPVS
 * table, FULLNAT rules, sync daemons and timeouts to the successor (`lvs-handoff.json`).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { CheckManager } from '../check/manager.js';
import { checkSpecFromModel, notifyFifosOf } from '../check/from-model.js';
import { CheckSpecBuilder } from '../check/spec-builder.js';
import { fullNatServicesFromModel } from '../check/fullnat-plan.js';
import { isLvsHandoffRecord, type LvsHandoffRecord } from '../check/lvs-handoff.js';
import { LvsTimeouts } from '../check/lvs-timeouts.js';
import { SyncDaemonFollower, syncDaemonSettingFromModel } from '../check/sync-daemon.js';
import { checkerNotifyScripts } from '../check/misc.io.js';
import { realProbeFactory } from '../check/probes.io.js';
import type { SchedulerStats } from '../check/scheduler.js';
import type { LvsWorkerSnapshot } from '../check/status.js';
import type { VirtualServerSpec } from '../check/types.js';
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { FullNat } from '../ipvs/fullnat.js';
import { realFullNatDeps } from '../ipvs/fullnat-deps.io.js';
import { openKernelIpvs } from '../ipvs/kernel.io.js';
import type { IpvsKernel, IpvsOp } from '../ipvs/ops.js';
import { opToArgs } from '../ipvs/ipvsadm-op-args.js';
import { nativeTcpEngine } from '../net/tcp-check-engine.io.js';
import { NotifyFifos } from '../script/fifo.io.js';
import { FifoReaders, fifoReadersOf } from '../script/fifo-readers.io.js';
import { ScriptRunner } from '../script/runner.io.js';
import { mathRng, monotonicClock, realTimers } from './clock.js';
import { BgpFollower } from './bgp.js';
import { defaultControlPath } from './control.js';
import { defaultDrainPath, fileDrainStore } from './drain-store.js';
import { kernelCounters } from './kernel-counters.js';
import { releaseFreedMemory } from './malloc-release.io.js';
import { workerMail } from './mail.js';
import { writeFileAtomic } from './files.js';
import type { RunOptions } from './run-options.js';
import { sloppyFollower } from './sloppy.js';
import { runWorker, type WorkerContext, type WorkerEngine } from './worker.js';
import { onVrrpState, supervised } from './worker-ipc.js';

/** `{ [key]: value }` when there is a value, else nothing to spread. */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Local addresses, refreshed at most once a second (for ha_suspend). */
function vipLocalFn(): (vs: VirtualServerSpec) => boolean {
  let at = -Infinity;
  let local = new Set<string>();
  return (vs) => {
    const k = vs.service.key;
    if (k.kind !== 'addr') return true;
    const now = monotonicClock.now();
    if (now - at > 1000) {
      local = new Set(
        Object.values(networkInterfaces())
          .flat()
          .map((i) => i?.address ?? ''),
      );
      at = now;
    }
    return local.has(k.address);
  };
}

/**
 * TCP_CHECK probes run on the native engine's threads; LVSD_TCP_ENGINE=node runs them through
 * node:net on the event loop instead (for comparison and as a fallback). LVSD_CHECK_THREADS sets the
 * engine's probe threads (default: 2, or 1 on a single CPU).
 */
function tcpEngineOption(
  env: NodeJS.ProcessEnv,
): Pick<ConstructorParameters<typeof CheckManager>[0], 'tcpEngine'> {
  if (env['LVSD_TCP_ENGINE'] === 'node') return {};
  const threads = env['LVSD_CHECK_THREADS'] ? { threads: Number(env['LVSD_CHECK_THREADS']) || 1 } : {};
  return { tcpEngine: (onResult) => nativeTcpEngine(onResult, threads) };
}

/** lvsd's own nftables SNAT table for FULLNAT services (an lvsd extension), following the config. */
function fullNatFollower(log: Logger): { apply(model: Model): Promise<void>; remove(): Promise<void> } {
  const fullnat = new FullNat(realFullNatDeps);
  let active = false;
  return {
    async apply(model) {
      const services = fullNatServicesFromModel(model);
      if (services.length === 0 && !active) return;
      try {
        const applied = await fullnat.applyByReals(services);
        active = applied.length > 0;
        log.info('FULLNAT rules applied', { services: applied.length });
      } catch (e) {
        log.error('FULLNAT rules not applied', { error: (e as Error).message });
      }
    },
    async remove() {
      if (!active) return;
      await fullnat.remove().catch((e: unknown) => {
        log.error('cannot remove FULLNAT rules', { error: (e as Error).message });
      });
    },
  };
}

/**
 * The IPVS sync daemon (`lvs_sync_daemon`). Under the supervisor it follows the named VRRP instance
 * through relayed state reports; standalone nothing reports, so both daemons run (logged). After a
 * hitless restart (`adopted`) the daemons the predecessor left are kept until the first report.
 */
async function syncDaemonFollower(
  kernel: IpvsKernel,
  model: Model,
  log: Logger,
  adopted: boolean,
): Promise<{ follower: SyncDaemonFollower; unsubscribe: () => void }> {
  const follower = new SyncDaemonFollower({ kernel, log });
  const follows = supervised();
  const setting = syncDaemonSettingFromModel(model);
  if (setting?.instance !== undefined && !follows)
    log.warn(
      'lvs_sync_daemon: no supervisor relays VRRP states to this worker; running the master and the backup daemon at once',
      {
        instance: setting.instance,
      },
    );
  const unsubscribe = follows ? onVrrpState((i, st) => void follower.vrrpState(i, st)) : () => {};
  await (adopted ? follower.adopt(setting, follows) : follower.configure(setting, follows));
  return { follower, unsubscribe };
}

/** An IPVS op as the ipvsadm command line that does the same (how reload summaries show it). */
function ipvsadmLine(op: IpvsOp): string {
  return `ipvsadm ${opToArgs(op).join(' ')}`;
}

/**
 * The record of a previous LVS worker that handed over in place (hitless restart), consumed; undefined
 * when there is none. An unreadable record still means a handover (the kernel state is live).
 */
function takeHandoff(file: string, log: Logger): LvsHandoffRecord | undefined {
  if (!existsSync(file)) return undefined;
  let record: LvsHandoffRecord = { version: 1, at: 0 };
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (isLvsHandoffRecord(parsed)) record = parsed;
    else log.warn('handoff record not understood; taking the IPVS table over anyway', { file });
  } catch (e) {
    log.warn('handoff record unreadable; taking the IPVS table over anyway', {
      file,
      error: (e as Error).message,
    });
  }
  rmSync(file, { force: true });
  return record;
}

/** systemd's STATUS= line: virtual servers, quorum, reals up, and the BGP announcements. */
function statusLine(manager: CheckManager, bgp: BgpFollower): string {
  const s = manager.summary();
  const down = s.withoutQuorum;
  const b = bgp.status();
  const announced = b
    ? `, BGP: ${b.vips.filter((v) => v.announced).length}/${b.vips.length} VIPs announced${b.drained ? ' (drained)' : ''}`
    : '';
  return `LVS: ${s.virtualServers} virtual servers${down ? ` (${down} without quorum)` : ''}, ${s.realsUp}/${s.reals} reals up${announced}`;
}

/**
 * The LVS worker's script runners, each stopped (its runs killed) with the worker: MISC_CHECK
 * programs, the notify/quorum scripts, and the LVS FIFO's reader script (the global FIFO's too when
 * no VRRP worker runs: fifo-readers.io.ts). `configure` follows a model: script security, readers.
 */
function lvsScripts(model: Model, log: Logger) {
  const scriptSecurity = model.global.enableScriptSecurity;
  const probe = new ScriptRunner({ scriptSecurity });
  const notify = new ScriptRunner({ scriptSecurity });
  const reader = new ScriptRunner({ scriptSecurity });
  const readers = new FifoReaders({ runner: reader, log });
  return {
    probe,
    notify,
    readers,
    async configure(m: Model): Promise<void> {
      probe.scriptSecurity = notify.scriptSecurity = reader.scriptSecurity = m.global.enableScriptSecurity;
      await readers.apply(fifoReadersOf(m.global, 'lvs', m.vrrpInstances.length > 0));
    },
  };
}

/** The last complete ten-second window of check lateness (logged when late; the metrics read it). */
function latenessWindows(manager: CheckManager, log: Logger): { last(): SchedulerStats; stop(): void } {
  let last = manager.schedulerStats();
  const timer = setInterval(() => {
    const w = (last = manager.takeSchedulerWindow());
    if (w.maxLatenessMs > 250) log.info('check scheduler lateness', { ...w });
  }, 10_000);
  return { last: () => last, stop: () => clearInterval(timer) };
}

async function startLvs(model: Model, log: Logger, ctx: WorkerContext): Promise<WorkerEngine> {
  const handoffFile = join(ctx.runDir, 'lvs-handoff.json');
  const handedOver = takeHandoff(handoffFile, log);
  const adopted = handedOver !== undefined;
  const kernel: IpvsKernel & { close(): void } = await openKernelIpvs();
  let current = model;
  const specs = new CheckSpecBuilder(); // a reload keeps the objects of unchanged virtual servers
  const fifo = new NotifyFifos(notifyFifosOf(model), log);
  const scripts = lvsScripts(model, log);
  const mail = workerMail(model, log);
  let quorumChanged = (): void => {};
  const manager = new CheckManager({
    kernel,
    clock: monotonicClock,
    timers: realTimers,
    rng: mathRng,
    logger: log,
    probes: realProbeFactory(mathRng, scripts.probe),
    ...tcpEngineOption(process.env),
    runScript: checkerNotifyScripts(scripts.notify, log),
    notifyFifo: (line) => void fifo.write(line),
    mail: mail.queue,
    drains: fileDrainStore(defaultDrainPath(), log),
    vipLocal: vipLocalFn(),
    onQuorumChange: () => quorumChanged(),
  });
  // lvs_flush empties the table at start, but not under a hitless restart: the table is live
  if (model.global.lvsFlush && !adopted) await kernel.apply([{ op: 'flush' }]);
  if (adopted) log.info('taking over the IPVS table of the previous process in place');
  const timeouts = new LvsTimeouts({
    kernel,
    log,
    ...(handedOver?.timeoutsBefore ? { original: handedOver.timeoutsBefore } : {}),
  });
  await timeouts.apply(model.global.lvsTimeouts);
  const sync = await syncDaemonFollower(kernel, model, log, adopted);
  await manager.start(specs.build(model));
  const fullnat = fullNatFollower(log);
  await fullnat.apply(model);
  const sloppy = sloppyFollower(log);
  sloppy.apply(model.global.lvsdSloppy);
  const bgp = new BgpFollower(manager, log);
  const lateness = latenessWindows(manager, log);
  const freedMemory = releaseFreedMemory(ctx.afterMajorGc);
  await scripts.configure(model);
  log.notice('checker running', { virtualServers: model.virtualServers.length });
  let schedulerAtStop: ReturnType<typeof manager.schedulerStats> | undefined;
  const snapshot = (): LvsWorkerSnapshot & { syncDaemon: object; mail: object; mallocTrims: object } => ({
    ...manager.status(),
    scheduler: schedulerAtStop ?? manager.schedulerStats(),
    schedulerWindow: lateness.last(),
    checkDurations: manager.checkDurations(),
    ipvsOps: manager.ipvsOps(),
    syncDaemon: { role: sync.follower.role, ...sync.follower.counters },
    mail: mail.queue.counters,
    mallocTrims: freedMemory.counters(),
    ...optional('bgp', bgp.status()),
  });
  return {
    async reload(next) {
      mail.configure(next);
      await scripts.configure(next);
      const applied = await manager.reload(specs.build(next));
      await fullnat.apply(next);
      sloppy.apply(next.global.lvsdSloppy);
      await bgp.apply(next);
      await timeouts.apply(next.global.lvsTimeouts);
      await sync.follower.configure(syncDaemonSettingFromModel(next), supervised());
      current = next;
      log.notice('configuration reloaded', {
        virtualServers: next.virtualServers.length,
        ipvsOps: applied.length,
      });
      return { ipvs: applied.map(ipvsadmLine) };
    },
    async stop(mode) {
      lateness.stop();
      freedMemory.stop();
      // the TCP engine's figures cannot be read once it has stopped: the final dump shows these
      schedulerAtStop = manager.schedulerStats();
      const handoff = mode === 'handoff';
      // withdraw the BGP announcements and serve on through their grace before anything stops
      await bgp.stop(handoff);
      // The manager stops first (it then ignores probe results), then MISC_CHECK runs still going
      // are killed rather than waited for; omega's notify_down/quorum_down scripts get a second.
      // A handoff (hitless restart) leaves the IPVS table and the FULLNAT rules as they are.
      const managerStopped = manager.stop({ keepIpvs: handoff, handoff });
      await scripts.probe.stop();
      await managerStopped;
      await scripts.notify.stop({ waitMs: 1000 });
      await mail.stop();
      sync.unsubscribe();
      // a handoff leaves the sync daemons and lvs_timeouts too; the successor restores the timeouts
      if (handoff) {
        const record: LvsHandoffRecord = {
          version: 1,
          at: Date.now(),
          ...optional('timeoutsBefore', timeouts.original),
        };
        writeFileAtomic(handoffFile, JSON.stringify(record), 0o600);
      } else {
        await fullnat.remove();
        sloppy.restore();
        await sync.follower.stop();
        await timeouts.restore();
        if (current.global.lvsFlushOnStop === 'all') await kernel.apply([{ op: 'flush' }]);
      }
      fifo.close();
      await scripts.readers.stop();
      kernel.close();
    },
    snapshot,
    async control(req) {
      if (req.cmd === 'ipvs-stats') return kernelCounters(kernel);
      if (req.cmd === 'director-drain') return bgp.setDrained(req.drained);
      if (req.cmd !== 'drain' && req.cmd !== 'enable') throw new Error(`unexpected request ${req.cmd}`);
      await manager.setDrain(req.vs, req.rs, req.cmd === 'drain');
      return undefined;
    },
    preview: async (next) => ({ ipvs: (await manager.preview(checkSpecFromModel(next))).map(ipvsadmLine) }),
    statusLine: () => statusLine(manager, bgp),
    // BGP: once IPVS is programmed and `lvsd status` shows it; following the quorums from then on
    async announce() {
      await bgp.apply(current);
      quorumChanged = () => void bgp.quorumChanged();
    },
  };
}

export function run(opts: RunOptions): Promise<number> {
  return runWorker(opts, {
    name: 'lvs',
    controlPath: () => defaultControlPath(),
    dumpFile: 'check-status.json',
    start: startLvs,
  });
}
