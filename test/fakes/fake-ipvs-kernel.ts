// SPDX-License-Identifier: Apache-2.0
/**
 * An in-memory `IpvsKernel` for unit tests: the table model of src/ipvs/table-model.ts behind
 * the port, with the kernel's errnos as `NetlinkError`s, a log of applied ops, and an optional
 * failure injected at the Nth op. The VM tests use the real kernel instead.
 */
import { NetlinkError } from '../../src/core/errors.js';
import type {
  IpvsDestination,
  IpvsInfo,
  IpvsService,
  IpvsServiceState,
  IpvsTable,
  IpvsTimeouts,
  ServiceKey,
  SyncDaemon,
} from '../../src/ipvs/model.js';
import { describeService, serviceId, sortDestinations, sortServices } from '../../src/ipvs/model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from '../../src/ipvs/ops.js';
import type { KernelExtras } from '../../src/ipvs/table-model.js';
import { applyOpToTable, defaultTimeouts } from '../../src/ipvs/table-model.js';

export class FakeIpvsKernel implements IpvsKernel {
  readonly table: IpvsTable;
  readonly extras: KernelExtras = { timeouts: { ...defaultTimeouts }, daemons: [] };
  /** Every op the kernel carried out, across apply() calls. */
  readonly log: IpvsOp[] = [];
  /** Number of apply() calls (one netlink batch each). */
  batches = 0;
  /** Fail the op with this index (0-based, counted over all ops ever applied) with EINVAL. */
  failAt: number | undefined;
  closed = false;

  constructor(
    initial: IpvsTable = [],
    readonly infoValue: IpvsInfo = { version: 0x010201, connTableSize: 4096 },
  ) {
    this.table = structuredClone(initial);
  }

  info(): Promise<IpvsInfo> {
    return Promise.resolve(this.infoValue);
  }

  dump(): Promise<IpvsServiceState[]> {
    return Promise.resolve(
      this.table.map((e) => ({
        service: structuredClone(e.service),
        destinations: e.destinations.map((d) => ({
          ...structuredClone(d),
          activeConns: 0,
          inactiveConns: 0,
          persistConns: 0,
        })),
      })),
    );
  }

  dumpServices(): Promise<IpvsService[]> {
    return Promise.resolve(sortServices(this.table).map((e) => structuredClone(e.service)));
  }

  dumpDestinations(keys: readonly ServiceKey[]): Promise<Array<IpvsDestination[] | undefined>> {
    const byId = new Map(this.table.map((e) => [serviceId(e.service.key), e]));
    return Promise.resolve(
      keys.map((k) => {
        // as the kernel: a service it does not have has an empty GET_DEST dump
        const e = byId.get(serviceId(k));
        return sortDestinations((e?.destinations ?? []).map((d) => structuredClone(d)));
      }),
    );
  }

  getTimeouts(): Promise<IpvsTimeouts> {
    return Promise.resolve({ ...this.extras.timeouts });
  }

  getDaemons(): Promise<SyncDaemon[]> {
    return Promise.resolve(this.extras.daemons.map((d) => ({ ...d })));
  }

  apply(ops: readonly IpvsOp[]): Promise<ApplyReport> {
    this.batches++;
    const applied: IpvsOp[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const errno = this.failAt === this.log.length ? 'EINVAL' : applyOpToTable(this.table, op, this.extras);
      if (errno) {
        const target =
          'key' in op && op.key
            ? describeService(op.key)
            : 'service' in op
              ? describeService(op.service.key)
              : '';
        const error = new NetlinkError({ errno, op: op.op, target, message: `${op.op} ${target}: ${errno}` });
        this.failAt = undefined;
        return Promise.resolve({ applied, failed: { op, error }, skipped: ops.slice(i + 1) });
      }
      applied.push(op);
      this.log.push(op);
    }
    return Promise.resolve({ applied, skipped: [] });
  }

  close(): void {
    this.closed = true;
  }
}
