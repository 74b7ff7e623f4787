// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run --vrrp-only`: the VRRP worker. It composes the VRRP engine (src/vrrp/engine.ts) with
 * its real ports (vrrp-ports.ts) and runs it as a worker (worker.ts): SIGTERM/SIGINT release
 * gracefully (priority-0 advert, VIPs removed) and return 0; SIGHUP applies the re-read config as a
 * diff and logs the plan; SIGUSR1/SIGUSR2 write the stats dump (states, counters, drops by reason,
 * timer lateness) to `$LVSD_RUN_DIR/vrrp-stats.json`; `vrrp.sock` answers `status`; `vrrp.pid`
 * exists while the process runs.
 */
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { VrrpEngine } from '../vrrp/engine.js';
import type { VrrpReloadPlan } from '../vrrp/reload-plan.js';
import { join } from 'node:path';
import type { RunOptions } from './run-options.js';
import { workerMail } from './mail.js';
import { realVrrpPorts } from './vrrp-ports.js';
import { runWorker, type WorkerEngine } from './worker.js';

/** The reload plan as log lines: what was kept, carried, replaced, added and removed. */
export function logReloadPlan(plan: VrrpReloadPlan, log: Logger): void {
  log.info('reload applied', {
    unchanged: plan.unchanged.length,
    added: plan.added.join(','),
    removed: plan.removed.join(','),
    carried: plan.carried.join(','),
    replaced: plan.replaced.join(','),
  });
  for (const name of plan.replaced)
    log.warn('reload: this instance is a new router to its peers; it was stopped and started again', {
      instance: name,
      because: plan.changes[name]?.replacedBecause.join(', '),
    });
  if (plan.notApplied.length > 0)
    log.warn('reload: not applied until restart', { settings: plan.notApplied.join('; ') });
}

async function startVrrp(model: Model, log: Logger): Promise<WorkerEngine> {
  const mail = workerMail(model, log);
  const engine = await VrrpEngine.start(model, realVrrpPorts(model, log, mail.queue));
  log.info('VRRP engine started', { instances: engine.instances.length });
  return {
    reload: async (next) => {
      mail.configure(next);
      logReloadPlan(await engine.reload(next), log);
    },
    stop: async () => {
      await engine.stop();
      await mail.stop();
    },
    snapshot: () => ({ ...engine.snapshot(), mail: mail.queue.counters }),
    statusLine: () => {
      const states = engine.instances.map((i) => `${i.name} ${i.state.name.toUpperCase()}`);
      const waiting = [...engine.waiting.keys()].map((n) => `${n} WAITING`);
      return `VRRP: ${[...states, ...waiting].join(', ') || 'no instances'}`;
    },
  };
}

export function run(opts: RunOptions): Promise<number> {
  return runWorker(opts, {
    name: 'vrrp',
    controlPath: (runDir) => join(runDir, 'vrrp.sock'),
    dumpFile: 'vrrp-stats.json',
    start: startVrrp,
  });
}
