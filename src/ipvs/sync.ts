// SPDX-License-Identifier: Apache-2.0
/**
 * One sync step against the `IpvsKernel` port: plan a desired table against an actual one with the
 * pure reconciler, carry the plan out as one batch, and say exactly what happened (`SyncAttempt`:
 * the plan, the ops applied and their counts by kind, the failed op with its error, the ops not
 * attempted). `syncTable` is the one-shot form (`lvsd ipvs apply`, tests): read the kernel, plan,
 * apply, and after a batch that stopped part way read and plan again. The LVS manager's loop
 * (sync-loop.ts) runs the same step against the table it keeps. Pure: the kernel is a port.
 */
import { LvsdError } from '../core/errors.js';
import { opToArgs } from './ipvsadm-op-args.js';
import type { IpvsServiceEntry, IpvsServiceState, IpvsTable } from './model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from './ops.js';
import type { ReconcileOptions } from './reconcile.js';
import { reconcile, summarizeOps } from './reconcile.js';

/** Ops by kind. */
export type OpCounts = Record<IpvsOp['op'], number>;

/** One plan and what the kernel did with it. */
export interface SyncAttempt {
  /** The kernel's table was read for this plan (otherwise a kept copy stood for it). */
  reread: boolean;
  /** The ops planned, in order. */
  plan: IpvsOp[];
  /**
   * What the kernel did: `applied` is exactly what changed, `failed` the op that failed and why,
   * `alsoFailed` later ops of the same datagram it refused, `skipped` the ops not attempted.
   * A dry run applies nothing and skips the whole plan.
   */
  report: ApplyReport;
  /** `report.applied` by kind. */
  applied: OpCounts;
  dryRun: boolean;
}

export interface SyncOptions extends ReconcileOptions {
  /** Plan only: nothing is sent to the kernel. */
  dryRun?: boolean;
  /** Told each plan before it is carried out (`lvsd ipvs apply` prints it first). */
  onPlan?: (plan: readonly IpvsOp[]) => void;
}

/** Plan `desired` against `actual` and carry the plan out (not in a dry run; not when empty). */
export async function attemptSync(
  kernel: IpvsKernel,
  desired: IpvsTable,
  actual: readonly (IpvsServiceEntry | IpvsServiceState)[],
  opts: SyncOptions & { reread: boolean },
): Promise<SyncAttempt> {
  const plan = reconcile(desired, actual, opts);
  opts.onPlan?.(plan);
  const dryRun = opts.dryRun === true;
  const report: ApplyReport =
    dryRun || plan.length === 0 ? { applied: [], skipped: dryRun ? plan : [] } : await kernel.apply(plan);
  return { reread: opts.reread, plan, report, applied: summarizeOps(report.applied), dryRun };
}

/** The error for a batch that stopped part way: names the failed op and counts the rest. */
export function partialError(report: ApplyReport): LvsdError {
  const f = report.failed;
  const what = f ? `ipvsadm ${opToArgs(f.op).join(' ')}` : 'unknown op';
  const also = report.alsoFailed?.length ? `, ${report.alsoFailed.length} more refused` : '';
  return new LvsdError(
    'LVSD_E_IPVS_PARTIAL',
    `IPVS batch stopped at ${what}: ${f?.error.message ?? 'failed'} ` +
      `(${report.applied.length} applied, ${report.skipped.length} not attempted${also})`,
    { cause: f?.error },
  );
}

/** `2 addService, 3 addDest`: the non-zero counts, in the order of the op kinds. */
export function formatCounts(counts: OpCounts): string {
  return Object.entries(counts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

export interface SyncResult {
  /** One per plan: a second one follows a batch that stopped part way. */
  attempts: SyncAttempt[];
  /** Set when the last attempt stopped part way (`LVSD_E_IPVS_PARTIAL`): the kernel holds only part of it. */
  error?: LvsdError;
}

/**
 * Read the kernel, plan, apply. After a batch that stopped part way the kernel is read and the plan
 * made again, up to `attempts` plans in all (the plan is recomputed from the kernel, so a failure
 * that was someone else's change converges). Errors other than a refused op (the kernel cannot be
 * read, a socket fails) are thrown.
 */
export async function syncTable(
  kernel: IpvsKernel,
  desired: IpvsTable,
  opts: SyncOptions & { attempts?: number } = {},
): Promise<SyncResult> {
  const attempts: SyncAttempt[] = [];
  const max = Math.max(1, opts.attempts ?? 1);
  for (let i = 0; i < max; i++) {
    const a = await attemptSync(kernel, desired, await kernel.dump({ stats: false }), {
      ...opts,
      reread: true,
    });
    attempts.push(a);
    if (!a.report.failed) return { attempts };
  }
  return { attempts, error: partialError(attempts[attempts.length - 1]!.report) };
}
