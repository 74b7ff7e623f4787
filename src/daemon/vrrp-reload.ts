// SPDX-License-Identifier: Apache-2.0
/**
 * SIGHUP in the VRRP worker: re-read the config; an invalid one is logged (file:line:col) and the
 * running configuration stays; a valid one is applied by `VrrpEngine.reload` as a desired-state
 * diff. The outcome goes to the supervisor (or systemd) through `reportReloaded`.
 */
import type { RunOptions } from '../cli/commands/run.js';
import { loadRunConfig } from './run-config.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../core/log.js';
import type { VrrpEngine } from './vrrp-main.js';
import { reportReloaded } from './worker-ipc.js';

/** Re-read the config and apply it; never throws (a reload must not end the worker). */
export async function reloadConfig(opts: RunOptions, engine: VrrpEngine, log: Logger): Promise<void> {
  try {
    const { model, diagnostics } = await loadRunConfig(opts);
    for (const d of diagnostics) {
      const line = formatDiagnostic(d);
      opts.io.stderr(line + '\n');
      if (d.severity === 'error') log.error(`reload: ${line}`);
    }
    if (!model) {
      const first = diagnostics.find((d) => d.severity === 'error');
      const msg = first ? formatDiagnostic(first) : 'invalid configuration';
      log.error('reload: configuration invalid, keeping the running configuration', { error: msg });
      reportReloaded(false, msg);
      return;
    }
    const r = await engine.reload(model);
    log.info('reload applied', {
      unchanged: r.unchanged.length,
      added: r.added.join(','),
      removed: r.removed.join(','),
      carried: r.carried.join(','),
      replaced: r.replaced.join(','),
    });
    if (r.replaced.length > 0)
      log.warn('reload: VRID/family/interface changed; these instances were stopped and started again', {
        instances: r.replaced.join(','),
      });
    if (r.notApplied.length > 0)
      log.warn('reload: not applied until restart', { settings: r.notApplied.join('; ') });
    reportReloaded(true);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.error('reload failed; the VRRP part keeps running with what it had', { error: msg });
    reportReloaded(false, msg);
  }
}
