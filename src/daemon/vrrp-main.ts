// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run --vrrp-only`: the VRRP worker. It composes the VRRP engine (src/vrrp/engine.ts) with
 * its real ports (vrrp-ports.ts) and runs it as a worker (worker.ts): SIGTERM/SIGINT release
 * gracefully (priority-0 advert, VIPs removed) and return 0; SIGHUP applies the re-read config as a
 * diff and logs the plan; SIGUSR1/SIGUSR2 write the stats dump (states, counters, drops by reason,
 * timer lateness) to `$LVSD_RUN_DIR/vrrp-stats.json`; `vrrp.sock` answers `status`; `vrrp.pid`
 * exists while the process runs. SIGQUIT hands over in place (hitless restart, src/vrrp/handoff.ts):
 * the MASTER instances are recorded in `vrrp-handoff.json`, which the next worker adopts.
 */
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { VrrpEngine } from '../vrrp/engine.js';
import { planVrrpReload, type VrrpReloadPlan } from '../vrrp/reload-plan.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { adoptable, isHandoffRecord } from '../vrrp/handoff.js';
import type { VmacSaved } from '../vrrp/vmac-host.js';
import { LvsdError } from '../core/errors.js';
import { writeFileAtomic } from './files.js';
import type { RunOptions } from './run-options.js';
import { workerMail } from './mail.js';
import { FifoReaders, fifoReadersOf } from '../script/fifo-readers.io.js';
import { ScriptRunner } from '../script/runner.io.js';
import { vrrpHandoffFileIn } from './model-paths.js';
import { realVrrpPorts } from './vrrp-ports.js';
import { reportCrashHandoff } from './worker-ipc.js';
import { runWorker, type WorkerEngine } from './worker.js';

/** The reload plan as log lines: what was kept, carried, replaced, added and removed. */
export function logReloadPlan(plan: VrrpReloadPlan, log: Logger): void {
  log.notice('reload applied', {
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

/**
 * The predecessor's handoff (hitless restart), read once and removed: instances to adopt, and the
 * VMACs it left and the host settings they changed (to put back as it would have); undefined when
 * there was none (the static entries are then set afresh, not taken over).
 */
function takeHandoff(
  file: string,
  model: Model,
  log: Logger,
): { adopt: Set<string>; vmacs?: VmacSaved } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  rmSync(file, { force: true });
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    record = undefined;
  }
  if (!isHandoffRecord(record)) {
    log.warn('ignoring an unreadable handoff file', { file });
    return undefined;
  }
  const adopt = adoptable(record, model, Date.now() - record.at);
  const late = record.instances.filter((i) => !adopt.has(i.name)).map((i) => i.name);
  if (late.length > 0)
    log.warn('not adopting: changed, or the handoff came too late (the peer may have taken over)', {
      instances: late.join(','),
      ageMs: Date.now() - record.at,
    });
  return { adopt, ...(record.vmacs ? { vmacs: record.vmacs } : {}) };
}

async function startVrrp(model: Model, log: Logger, ctx: { runDir: string }): Promise<WorkerEngine> {
  const handoffFile = vrrpHandoffFileIn(ctx.runDir);
  const handoff = takeHandoff(handoffFile, model, log);
  const adopt = handoff?.adopt;
  const notifyScripts = new ScriptRunner({ scriptSecurity: model.global.enableScriptSecurity });
  const mail = workerMail(model, log);
  const ports = realVrrpPorts(model, log, notifyScripts, mail.queue);
  const engine = await VrrpEngine.start(model, ports, handoff ?? {});
  log.notice('VRRP engine started', { instances: engine.instances.length, adopted: adopt?.size ?? 0 });
  // the FIFOs exist now (the notifier made them): their reader scripts, on a runner of their own
  const readerScripts = new ScriptRunner({ scriptSecurity: model.global.enableScriptSecurity });
  const readers = new FifoReaders({ runner: readerScripts, log });
  await readers.apply(fifoReadersOf(model.global, 'vrrp', true));
  // should this worker die unable to hand over, the supervisor writes this for its successor
  const stopCrashHandoff = reportCrashHandoff((now) => engine.crashHandoff(now));
  return {
    reload: async (next) => {
      notifyScripts.scriptSecurity = readerScripts.scriptSecurity = next.global.enableScriptSecurity;
      mail.configure(next);
      await readers.apply(fifoReadersOf(next.global, 'vrrp', true));
      const plan = await engine.reload(next);
      logReloadPlan(plan, log);
      return { vrrp: plan };
    },
    preview: (next) => Promise.resolve({ vrrp: planVrrpReload(engine.model, next) }),
    stop: async (mode) => {
      stopCrashHandoff();
      if (mode !== 'handoff') {
        await engine.stop();
        // after the last FIFO lines (STOP) were written
        await readers.stop();
        return mail.stop();
      }
      const record = await engine.handoff(Date.now());
      writeFileAtomic(handoffFile, JSON.stringify(record), 0o600);
      log.info('handed over in place: VIPs kept, no priority-0 advert', {
        masters: record.instances.map((i) => i.name).join(','),
      });
      await readers.stop();
      await mail.stop();
    },
    snapshot: () => ({ ...engine.snapshot(), mail: mail.queue.counters }),
    async control(req) {
      if (req.cmd === 'drill') {
        log.info('failover drill', {
          instances: req.instances === 'all' ? 'all' : req.instances.join(','),
          back: req.back,
        });
        // the drill's probe (child_process, dgram, net) is loaded at the first drill, not at start
        const { probeVip } = await import('./vip-probe.js');
        return engine.drill(req.instances, { back: req.back, timeoutMs: req.timeoutMs }, probeVip);
      }
      if (req.cmd === 'drill-release') return { released: engine.releaseDrill(req.instances) };
      throw new LvsdError(
        'LVSD_E_CONTROL',
        `the VRRP worker does not handle '${req.cmd}' (ask the LVS worker)`,
      );
    },
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
