// SPDX-License-Identifier: Apache-2.0
/**
 * Reconcile-and-apply against an `IpvsKernel` port: read the kernel table, plan with the pure
 * reconciler, apply the plan as one batch. A batch that stops part way is reported exactly
 * (`ApplyReport`: applied / failed / skipped) and wrapped as `LVSD_E_IPVS_PARTIAL`; because the
 * plan is recomputed from the kernel's table each time, running it again converges.
 */
import { LvsdError } from '../core/errors.js';
import type { IpvsTable } from './model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from './ops.js';
import type { ReconcileOptions } from './reconcile.js';
import { reconcile } from './reconcile.js';
import { opToArgs } from './ipvsadm-op-args.js';

export interface SyncResult {
  plan: IpvsOp[];
  report: ApplyReport;
}

/** One round: dump, plan, apply (nothing is applied when `dryRun`). */
export async function syncOnce(
  kernel: IpvsKernel,
  desired: IpvsTable,
  opts: ReconcileOptions & { dryRun?: boolean } = {},
): Promise<SyncResult> {
  const actual = await kernel.dump();
  const plan = reconcile(desired, actual, opts);
  if (opts.dryRun || plan.length === 0)
    return { plan, report: { applied: [], skipped: opts.dryRun ? plan : [] } };
  return { plan, report: await kernel.apply(plan) };
}

/** The error for a batch that stopped part way; names the failed op and counts the rest. */
export function partialError(report: ApplyReport): LvsdError {
  const f = report.failed;
  const what = f ? `ipvsadm ${opToArgs(f.op).join(' ')}` : 'unknown op';
  return new LvsdError(
    'LVSD_E_IPVS_PARTIAL',
    `IPVS batch stopped at ${what}: ${f?.error.message ?? 'failed'} ` +
      `(${report.applied.length} applied, ${report.skipped.length} not attempted)`,
    { cause: f?.error },
  );
}

/**
 * Apply until the kernel matches `desired`: after a partial failure the plan is recomputed and
 * retried, up to `rounds` times. Throws `LVSD_E_IPVS_PARTIAL` when the last round still failed.
 */
export async function converge(
  kernel: IpvsKernel,
  desired: IpvsTable,
  opts: ReconcileOptions & { rounds?: number } = {},
): Promise<{ rounds: SyncResult[] }> {
  const rounds: SyncResult[] = [];
  const max = opts.rounds ?? 2;
  for (let i = 0; i < max; i++) {
    const r = await syncOnce(kernel, desired, opts);
    rounds.push(r);
    if (!r.report.failed) return { rounds };
  }
  throw partialError(rounds[rounds.length - 1]!.report);
}
