// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS driver: `IpvsKernel` over generic netlink (family "IPVS"), the way `ipvsadm` talks to
 * the kernel but on one long-lived socket, with many requests per datagram (pipelined windows).
 * Pure of I/O itself: it talks through a `NetlinkTransport` (ipvs/kernel.io.ts opens the real
 * socket); retries live here; encoding is attrs.ts, the wire is netlink/codec.ts.
 *
 * Batching semantics of `apply`: ops go out `window` at a time in one datagram; the kernel runs
 * every message of a datagram in order even after one fails. So on a failure the report is exact
 * about the kernel state: `applied` lists every op that succeeded (including ones after the failed
 * op in the same window), `failed` the first failure, `alsoFailed` later failures of that window,
 * `skipped` the ops never sent. `window: 1` gives strict stop-at-first-failure.
 */
import pRetry from 'p-retry';
import { LvsdError, NetlinkError } from '../core/errors.js';
import type { LvsdErrorCode } from '../core/errors.js';
import { errnoName } from '../netlink/codec.js';
import { GenlClient } from '../netlink/genl.js';
import type { GenlMessage, GenlOutcome, GenlReply } from '../netlink/genl.js';
import type { NetlinkTransport } from '../netlink/transport.js';
import {
  IPVS_GENL_NAME,
  IPVS_GENL_VERSION,
  IpvsCmd,
  decodeCmdAttrs,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  encodeCmdAttrs,
  encodeDestDumpAttrs,
  ipvsAttrs,
  ipvsCmdName,
  nestedIn,
} from './attrs.js';
import { describeService, formatAddrPort, sortDestinations, sortServices } from './model.js';
import type {
  IpvsDestination,
  IpvsDestinationState,
  IpvsInfo,
  IpvsService,
  IpvsServiceState,
  IpvsTimeouts,
  ServiceKey,
  SyncDaemon,
} from './model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from './ops.js';

export interface IpvsDriverOptions {
  /** Requests per datagram in `apply`. @default 128 */
  window?: number;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number;
  /** Retries for EBUSY / ENOBUFS / EINTR. @default 3 */
  retries?: number;
  /** The transport to use (tests: the kernel as a function); else `openTransport` opens one. */
  transport?: NetlinkTransport;
  /** Opens a NETLINK_GENERIC socket (ipvs/kernel.io.ts gives the real one): used without `transport`. */
  openTransport?: () => NetlinkTransport;
}

const RETRYABLE = new Set(['EBUSY', 'ENOBUFS', 'EINTR']);

/** Open the driver: a generic netlink socket in this process's network namespace, family resolved. */
export async function openIpvsDriver(opts: IpvsDriverOptions): Promise<IpvsDriver> {
  const transport = opts.transport ?? opts.openTransport?.();
  if (!transport)
    throw new LvsdError('LVSD_E_INTERNAL', 'openIpvsDriver: no transport and no way to open one');
  const client = new GenlClient(transport, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  const family = await client.resolveFamily(IPVS_GENL_NAME);
  if (family === undefined) {
    client.close();
    throw new LvsdError(
      'LVSD_E_IPVS_UNAVAILABLE',
      'generic netlink family IPVS not found: the ip_vs module is not loaded (modprobe ip_vs)',
    );
  }
  return new IpvsDriver(client, family, opts);
}

/** Human name of what an op touches, for messages: `virtual server TCP 10.0.0.1:80`. */
export function describeOpTarget(op: IpvsOp): string {
  const vs = (k: ServiceKey): string => `virtual server ${describeService(k)}`;
  switch (op.op) {
    case 'addService':
    case 'editService':
      return vs(op.service.key);
    case 'delService':
      return vs(op.key);
    case 'addDest':
    case 'editDest':
    case 'delDest':
      return `real server ${formatAddrPort(op.dest.family, op.dest.address, op.dest.port)} of ${vs(op.key)}`;
    case 'zero':
      return op.key === undefined ? 'all virtual servers' : vs(op.key);
    case 'flush':
      return 'the IPVS table';
    case 'setTimeouts':
      return 'IPVS timeouts';
    case 'startDaemon':
      return `${op.daemon.state} sync daemon`;
    case 'stopDaemon':
      return `${op.state} sync daemon`;
  }
}

/** The request for one op (ipvsadm equivalent in ops.ts). */
export function opMessage(op: IpvsOp): GenlMessage {
  switch (op.op) {
    case 'addService':
      return { cmd: IpvsCmd.NEW_SERVICE, attrs: encodeCmdAttrs({ service: op.service }) };
    case 'editService':
      return { cmd: IpvsCmd.SET_SERVICE, attrs: encodeCmdAttrs({ service: op.service }) };
    case 'delService':
      return { cmd: IpvsCmd.DEL_SERVICE, attrs: encodeCmdAttrs({ serviceKey: op.key }) };
    case 'addDest':
      return { cmd: IpvsCmd.NEW_DEST, attrs: encodeCmdAttrs({ serviceKey: op.key, dest: op.dest }) };
    case 'editDest':
      return { cmd: IpvsCmd.SET_DEST, attrs: encodeCmdAttrs({ serviceKey: op.key, dest: op.dest }) };
    case 'delDest':
      return { cmd: IpvsCmd.DEL_DEST, attrs: encodeCmdAttrs({ serviceKey: op.key, destKey: op.dest }) };
    case 'flush':
      return { cmd: IpvsCmd.FLUSH, attrs: new Uint8Array(0) };
    case 'zero':
      return {
        cmd: IpvsCmd.ZERO,
        attrs: op.key === undefined ? new Uint8Array(0) : encodeCmdAttrs({ serviceKey: op.key }),
      };
    case 'setTimeouts':
      return { cmd: IpvsCmd.SET_CONFIG, attrs: encodeCmdAttrs({ timeouts: op.timeouts }) };
    case 'startDaemon':
      return { cmd: IpvsCmd.NEW_DAEMON, attrs: encodeCmdAttrs({ daemon: op.daemon }) };
    case 'stopDaemon':
      return { cmd: IpvsCmd.DEL_DAEMON, attrs: encodeCmdAttrs({ daemonState: op.state }) };
  }
}

/** A kernel errno for an op, as an error whose message names the object and the likely cause. */
export function opError(op: IpvsOp, errno: number): NetlinkError {
  const name = errnoName(errno);
  const target = describeOpTarget(op);
  const cmd = ipvsCmdName(opMessage(op).cmd);
  const isDest = op.op === 'addDest' || op.op === 'editDest' || op.op === 'delDest';
  const isSvc = op.op === 'addService' || op.op === 'editService';
  let code: LvsdErrorCode = 'LVSD_E_NETLINK';
  let message: string;
  if (name === 'EEXIST') {
    code = 'LVSD_E_IPVS_EXISTS';
    message = `${target} already exists`;
  } else if (name === 'ESRCH' && (isDest || op.op === 'zero')) {
    // The genl path answers ESRCH when the service a dest op names is missing.
    code = 'LVSD_E_IPVS_NOT_FOUND';
    message = `${op.op === 'zero' ? target : `virtual server ${describeService(op.key)}`} does not exist`;
  } else if ((name === 'ESRCH' || name === 'ENOENT') && (op.op === 'delService' || op.op === 'editService')) {
    code = 'LVSD_E_IPVS_NOT_FOUND';
    message = `${target} does not exist`;
  } else if (name === 'ENOENT' && isDest) {
    code = 'LVSD_E_IPVS_NOT_FOUND';
    message = `${target} does not exist`;
  } else if (name === 'ENOENT' && op.op === 'addService') {
    const pe = op.service.persistenceEngine;
    message = `${target}: scheduler '${op.service.scheduler}'${pe === undefined ? '' : ` or persistence engine '${pe}'`} not available (module ip_vs_${op.service.scheduler}${pe === undefined ? '' : ` / ip_vs_pe_${pe}`} not loaded?)`;
  } else if (name === 'EINVAL' && isDest) {
    message = `${target}: invalid argument (EINVAL): is the loopback down in this network namespace? The kernel then rejects every real server as "not unicast"; otherwise check the address family, forwarding method and tunnel options`;
  } else if (name === 'EINVAL' && isSvc) {
    message = `${target}: invalid argument (EINVAL): check the scheduler name (at most 15 characters), flags, persistence timeout and netmask`;
  } else if (name === 'ERANGE' && isDest) {
    message = `${target}: lower connection threshold above the upper one (ERANGE)`;
  } else if (name === 'EPERM' || name === 'EACCES') {
    message = `${target}: permission denied (${name}): IPVS needs CAP_NET_ADMIN in this network namespace`;
  } else if (name === 'ETIMEDOUT') {
    message = `${target}: no answer from the kernel (timed out)`;
  } else {
    message = `${target}: the kernel refused ${cmd} (${name})`;
  }
  return new NetlinkError({ errno: name, op: cmd, target, code, message });
}

export class IpvsDriver implements IpvsKernel {
  private readonly window: number;
  private readonly retries: number;

  constructor(
    private readonly client: GenlClient,
    private readonly family: number,
    opts: IpvsDriverOptions = {},
  ) {
    this.window = Math.max(1, opts.window ?? 128);
    this.retries = opts.retries ?? 3;
  }

  /** One request (doit or dump) with p-retry on EBUSY/ENOBUFS/EINTR. */
  private async request(msg: GenlMessage, what: string): Promise<GenlReply[]> {
    const out = await pRetry(
      async () => {
        const [o] = await this.client.exchange(this.family, IPVS_GENL_VERSION, [msg]);
        if (o === undefined || !o.ok) {
          const errno = errnoName(o === undefined ? 71 : o.errno);
          throw new NetlinkError({
            errno,
            op: ipvsCmdName(msg.cmd),
            message: `${what}: the kernel refused ${ipvsCmdName(msg.cmd)} (${errno})`,
          });
        }
        return o.replies;
      },
      {
        retries: this.retries,
        minTimeout: 10,
        maxTimeout: 200,
        shouldRetry: ({ error }) => error instanceof NetlinkError && RETRYABLE.has(error.errno),
      },
    );
    return out;
  }

  private decodeFail(what: string, reason: string): LvsdError {
    return new LvsdError('LVSD_E_NETLINK_DECODE', `${what}: cannot decode the kernel's reply: ${reason}`);
  }

  /** `ipvsadm --version`; the header of `ipvsadm -L`. */
  async info(): Promise<IpvsInfo> {
    const [r] = await this.request({ cmd: IpvsCmd.GET_INFO, attrs: new Uint8Array(0) }, 'IPVS info');
    if (r === undefined) throw this.decodeFail('IPVS info', 'no reply message');
    const i = decodeInfo(r.attrs);
    if (!i.ok) throw this.decodeFail('IPVS info', i.reason);
    return i.value;
  }

  /** `ipvsadm -Ln --stats`, as data, services and dests in canonical order; counters only with `stats`. */
  async dump(opts: { stats?: boolean } = {}): Promise<IpvsServiceState[]> {
    const dopts = { stats: opts.stats ?? true };
    const services = await this.serviceStates(dopts);
    const dests = await this.destinationsOf(
      services.map((s) => s.service.key),
      dopts,
    );
    // A service deleted between the two dumps has no dests to report.
    services.forEach((s, i) => (s.destinations = dests[i] ?? []));
    return sortServices(services);
  }

  /** Every service, without its destinations or counters (one GET_SERVICE dump), in canonical order. */
  async dumpServices(): Promise<IpvsService[]> {
    return sortServices(await this.serviceStates({ stats: false })).map((s) => s.service);
  }

  /**
   * The destinations (no counters) of these services, in canonical order. The kernel answers
   * GET_DEST for a service it does not have with an empty dump (6.1; undefined where it says ESRCH).
   */
  dumpDestinations(keys: readonly ServiceKey[]): Promise<Array<IpvsDestination[] | undefined>> {
    return this.destinationsOf(keys, { stats: false });
  }

  private async serviceStates(dopts: { stats: boolean }): Promise<IpvsServiceState[]> {
    const replies = await this.request(
      { cmd: IpvsCmd.GET_SERVICE, attrs: new Uint8Array(0), dump: true },
      'service dump',
    );
    const services: IpvsServiceState[] = [];
    for (const r of replies) {
      const at = nestedIn(r.attrs, ipvsAttrs.cmd.SERVICE.id);
      if (typeof at === 'string') throw this.decodeFail('service dump', `reply without SERVICE (${at})`);
      const s = decodeService(r.attrs, dopts, at.start, at.end);
      if (!s.ok) throw this.decodeFail('service dump', s.reason);
      services.push(
        s.value.stats === undefined
          ? { service: s.value.service, destinations: [] }
          : { service: s.value.service, stats: s.value.stats, destinations: [] },
      );
    }
    return services;
  }

  /** The destinations of each service (undefined: the kernel has no such service), in canonical order. */
  private async destinationsOf(
    keys: readonly ServiceKey[],
    dopts: { stats: boolean },
  ): Promise<Array<IpvsDestinationState[] | undefined>> {
    // GET_DEST is dump-only and per service, and a socket runs one dump at a time (a second one in
    // flight gets EBUSY): each is sent once the one before is answered, in batches answered without
    // a turn of the event loop each (GenlClient.exchangeEach: the socket's exchangeNow).
    const msgs: GenlMessage[] = keys.map((serviceKey) => ({
      cmd: IpvsCmd.GET_DEST,
      attrs: encodeDestDumpAttrs(serviceKey),
      dump: true,
    }));
    const outcomes = await this.client.exchangeEach(this.family, IPVS_GENL_VERSION, msgs);
    return keys.map((key, i) => {
      const o: GenlOutcome | undefined = outcomes[i];
      const what = `real servers of virtual server ${describeService(key)}`;
      if (o === undefined || (!o.ok && errnoName(o.errno) === 'ESRCH')) return undefined;
      if (!o.ok)
        throw new NetlinkError({
          errno: errnoName(o.errno),
          op: 'IPVS_CMD_GET_DEST',
          message: `${what}: dump failed (${errnoName(o.errno)})`,
        });
      const dests: IpvsDestinationState[] = [];
      for (const r of o.replies) {
        const at = nestedIn(r.attrs, ipvsAttrs.cmd.DEST.id);
        if (typeof at === 'string') throw this.decodeFail(what, `reply without DEST (${at})`);
        const d = decodeDest(r.attrs, key.family, dopts, at.start, at.end);
        if (!d.ok) throw this.decodeFail(what, d.reason);
        dests.push(d.value);
      }
      return sortDestinations(dests);
    });
  }

  /** `ipvsadm -L --timeout` */
  async getTimeouts(): Promise<IpvsTimeouts> {
    const [r] = await this.request({ cmd: IpvsCmd.GET_CONFIG, attrs: new Uint8Array(0) }, 'IPVS timeouts');
    if (r === undefined) throw this.decodeFail('IPVS timeouts', 'no reply message');
    const top = decodeCmdAttrs(r.attrs);
    if (!top.ok) throw this.decodeFail('IPVS timeouts', top.reason);
    const t = top.value.timeouts;
    return { tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 };
  }

  /** `ipvsadm -L --daemon` */
  async getDaemons(): Promise<SyncDaemon[]> {
    const replies = await this.request(
      { cmd: IpvsCmd.GET_DAEMON, attrs: new Uint8Array(0), dump: true },
      'sync daemons',
    );
    const out: SyncDaemon[] = [];
    for (const r of replies) {
      const top = decodeCmdAttrs(r.attrs);
      if (!top.ok || top.value.daemon === undefined)
        throw this.decodeFail('sync daemons', top.ok ? 'no DAEMON' : top.reason);
      const d = decodeDaemon(top.value.daemon);
      if (!d.ok) throw this.decodeFail('sync daemons', d.reason);
      out.push(d.value);
    }
    return out.sort((a, b) => (a.state === b.state ? 0 : a.state === 'master' ? -1 : 1));
  }

  /** Carry out ops in order (see the module comment for the batching semantics). */
  async apply(ops: readonly IpvsOp[]): Promise<ApplyReport> {
    let msgs: GenlMessage[];
    try {
      msgs = ops.map(opMessage);
    } catch (e) {
      // An op the encoder cannot express (e.g. an IPv6 address in an IPv4 service) is a caller bug.
      throw new LvsdError('LVSD_E_INTERNAL', `cannot encode IPVS op: ${String(e)}`, { cause: e });
    }
    const applied: IpvsOp[] = [];
    let i = 0;
    let attempts = 0;
    while (i < ops.length) {
      const end = Math.min(ops.length, i + this.window);
      const outcomes = await this.client.exchange(this.family, IPVS_GENL_VERSION, msgs.slice(i, end), {
        window: this.window,
        ackLastOnly: true,
      });
      const firstBad = outcomes.findIndex((o) => o === undefined || !o.ok);
      if (firstBad < 0) {
        for (let j = i; j < end; j++) applied.push(ops[j] as IpvsOp);
        i = end;
        attempts = 0;
        continue;
      }
      for (let j = 0; j < firstBad; j++) applied.push(ops[i + j] as IpvsOp);
      const bad = outcomes[firstBad];
      const errno = bad === undefined || bad.ok ? 71 : bad.errno;
      const laterOk = outcomes.slice(firstBad + 1).some((o) => o !== undefined && o.ok);
      // Safe to resend from the failed op only when nothing after it took effect.
      if (RETRYABLE.has(errnoName(errno)) && !laterOk && attempts < this.retries) {
        attempts++;
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempts));
        i += firstBad;
        continue;
      }
      const failedOp = ops[i + firstBad] as IpvsOp;
      const alsoFailed: { op: IpvsOp; error: Error }[] = [];
      outcomes.slice(firstBad + 1).forEach((o, k) => {
        const op = ops[i + firstBad + 1 + k] as IpvsOp;
        if (o !== undefined && o.ok) applied.push(op);
        else alsoFailed.push({ op, error: opError(op, o === undefined ? 71 : o.errno) });
      });
      const report: ApplyReport = {
        applied,
        failed: { op: failedOp, error: opError(failedOp, errno) },
        skipped: ops.slice(end),
      };
      if (alsoFailed.length > 0) report.alsoFailed = alsoFailed;
      return report;
    }
    return { applied, skipped: [] };
  }

  close(): void {
    this.client.close();
  }
}
