// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run --check-only`: the checker/LVS process (composition root). Loads the config, opens the
 * IPVS driver, runs every health check through the CheckManager, which programs the kernel with
 * the desired table; serves the control socket (`lvsd real drain|enable`). SIGHUP reloads (checker
 * state and drains carried over), SIGTERM/SIGINT stop (omega notifies, lvsd's services removed),
 * SIGUSR1 writes a JSON status (with scheduler lateness) to `$LVSD_RUN_DIR/check-status.json`.
 * Every 10 s the scheduler's lateness window is logged when checks ran late.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { RunOptions } from './run-options.js';
import { CheckManager } from '../check/manager.js';
import { checkSpecFromModel } from '../check/from-model.js';
import { fullNatServicesFromModel } from '../check/fullnat-plan.js';
import { checkerNotifyScripts } from '../check/misc.js';
import { realProbeFactory } from '../check/probes.js';
import { nativeTcpEngine } from '../net/tcp-check-engine.js';
import { defaultDrainPath, fileDrainStore } from './drain-store.js';
import type { VirtualServerSpec } from '../check/types.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { Model } from '../config/model.js';
import { openIpvsDriver } from '../ipvs/driver.js';
import { FullNat } from '../ipvs/fullnat.js';
import { NotifyFifos } from '../script/fifo.io.js';
import { ScriptRunner } from '../script/runner.io.js';
import { mathRng, monotonicClock, realTimers } from './clock.js';
import { defaultControlPath, startControlServer } from './control.js';
import { createLogger } from './logger.js';
import { loadRunConfig } from './run-config.js';
import { reportReady, reportReloaded } from './worker-ipc.js';

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

export async function run(opts: RunOptions): Promise<number> {
  const log = createLogger({
    name: 'lvs',
    level: process.env['LVSD_LOG_LEVEL'] === 'debug' ? 'debug' : 'info',
    ...(process.env['LVSD_LOG_FORMAT'] === 'json' ? { format: 'json' as const } : {}),
  });
  let stopRequested = (): void => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = () => resolve('signal')));
  process.on('SIGTERM', stopRequested);
  process.on('SIGINT', stopRequested);
  // SIGUSR1/SIGHUP during start-up (a large config takes a while) must not kill the process.
  const early = (): void => log.info('signal ignored during start-up');
  process.on('SIGUSR1', early);
  process.on('SIGHUP', early);
  const loaded = await loadRunConfig(opts);
  for (const d of loaded.diagnostics) opts.io.stderr(formatDiagnostic(d) + '\n');
  const unhook = (): void => {
    for (const [sig, fn] of [
      ['SIGUSR1', early],
      ['SIGHUP', early],
      ['SIGTERM', stopRequested],
      ['SIGINT', stopRequested],
    ] as const) {
      process.off(sig, fn);
    }
  };
  if (!loaded.model) {
    unhook();
    return 1;
  }
  let kernel;
  try {
    kernel = await openIpvsDriver();
  } catch (e) {
    opts.io.stderr(`lvsd run --check-only: ${(e as Error).message}\n`);
    unhook();
    return 1;
  }
  const spec = checkSpecFromModel(loaded.model);
  const fifo = new NotifyFifos(spec.notifyFifos, log);
  // MISC_CHECK programs, and the notify/quorum scripts: each set stops (is killed) with the worker
  const probeScripts = new ScriptRunner();
  const notifyScripts = new ScriptRunner();
  const manager = new CheckManager({
    kernel,
    clock: monotonicClock,
    timers: realTimers,
    rng: mathRng,
    logger: log,
    probes: realProbeFactory(mathRng, probeScripts),
    // TCP_CHECK probes run on the native engine's threads; LVSD_TCP_ENGINE=node runs them through
    // node:net on the event loop instead (for comparison and as a fallback). LVSD_CHECK_THREADS
    // sets the engine's probe threads (default: 2, or 1 on a single CPU).
    ...(process.env['LVSD_TCP_ENGINE'] === 'node'
      ? {}
      : {
          tcpEngine: (onResult) =>
            nativeTcpEngine(
              onResult,
              process.env['LVSD_CHECK_THREADS']
                ? { threads: Number(process.env['LVSD_CHECK_THREADS']) || 1 }
                : {},
            ),
        }),
    runScript: checkerNotifyScripts(notifyScripts, log),
    notifyFifo: (line) => {
      fifo.write(line);
    },
    drains: fileDrainStore(defaultDrainPath(), log),
    vipLocal: vipLocalFn(),
  });
  if (loaded.model.global.lvsFlush) await kernel.apply([{ op: 'flush' }]);
  await manager.start(spec);
  // FULLNAT (lvsd extension): lvsd's own nftables SNAT table follows the config, like the IPVS table.
  const fullnat = new FullNat();
  let fullnatActive = false;
  const applyFullNat = async (model: Model): Promise<void> => {
    const services = fullNatServicesFromModel(model);
    if (services.length === 0 && !fullnatActive) return;
    try {
      const applied = await fullnat.applyByReals(services);
      fullnatActive = applied.length > 0;
      log.info('FULLNAT rules applied', { services: applied.length });
    } catch (e) {
      log.error('FULLNAT rules not applied', { error: (e as Error).message });
    }
  };
  await applyFullNat(loaded.model);
  const runDir = process.env['LVSD_RUN_DIR'] ?? '/run/lvsd';
  const control = await startControlServer(
    defaultControlPath(),
    async (req) => {
      if (req.cmd === 'status') return { ...manager.status(), scheduler: manager.schedulerStats() };
      await manager.setDrain(req.vs, req.rs, req.cmd === 'drain');
      return undefined;
    },
    log,
  );
  const onHup = (): void => {
    void loadRunConfig(opts)
      .then(async (r) => {
        if (!r.model) {
          for (const d of r.diagnostics) log.error('reload refused: ' + formatDiagnostic(d));
          reportReloaded(false, 'configuration invalid');
          return;
        }
        await manager.reload(checkSpecFromModel(r.model));
        await applyFullNat(r.model);
        log.info('configuration reloaded', { virtualServers: r.model.virtualServers.length });
        reportReloaded(true);
      })
      .catch((e: unknown) => {
        // A reload must never take the worker down: report and keep running.
        log.error('reload failed', { error: (e as Error).message });
        reportReloaded(false, (e as Error).message);
      });
  };
  const onUsr1 = (): void => {
    try {
      mkdirSync(runDir, { recursive: true });
      const status = { ...manager.status(), scheduler: manager.schedulerStats() };
      writeFileSync(join(runDir, 'check-status.json'), JSON.stringify(status, null, 2) + '\n');
    } catch (e) {
      log.error('cannot write status', { error: (e as Error).message });
    }
  };
  process.on('SIGHUP', onHup);
  process.on('SIGUSR1', onUsr1);
  process.off('SIGUSR1', early);
  process.off('SIGHUP', early);
  const metrics = setInterval(() => {
    const w = manager.takeSchedulerWindow();
    if (w.maxLatenessMs > 250) log.info('check scheduler lateness', { ...w });
  }, 10_000);
  log.info('checker running', { virtualServers: loaded.model.virtualServers.length, control: control.path });
  reportReady();
  await stopped;
  log.info('stopping');
  clearInterval(metrics);
  process.off('SIGHUP', onHup);
  process.off('SIGUSR1', onUsr1);
  await control.close();
  // The manager stops first (it then ignores probe results), then MISC_CHECK runs still going are
  // killed rather than waited for; omega's notify_down/quorum_down scripts get a second to finish.
  const managerStopped = manager.stop({ keepIpvs: false });
  await probeScripts.stop();
  await managerStopped;
  await notifyScripts.stop({ waitMs: 1000 });
  if (fullnatActive) {
    await fullnat.remove().catch((e: unknown) => {
      log.error('cannot remove FULLNAT rules', { error: (e as Error).message });
    });
  }
  if (loaded.model.global.lvsFlushOnStop === 'all') await kernel.apply([{ op: 'flush' }]);
  fifo.close();
  kernel.close();
  process.off('SIGTERM', stopRequested);
  process.off('SIGINT', stopRequested);
  return 0;
}
