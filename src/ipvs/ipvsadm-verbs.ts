// SPDX-License-Identifier: Apache-2.0
/**
 * Per command: what ipvsadm checks after reading the options (process_options' checks beyond the
 * option tables), and the command it builds from the entry. Pure.
 */
import type { IpvsDestination, IpvsService, ServiceKey, SyncDaemon, TunnelChecksum } from './model.js';
import type { Cmd, IpvsadmCommand } from './ipvsadm-options.js';
import { UsageFail, checkLegal, legalTunnelOptions, tunnelOptNames } from './ipvsadm-options.js';
import type { Entry } from './ipvsadm-read.js';
import { tunnelTypes } from './ipvsadm-read.js';

/** The scheduler flags of `-b` (ONEPACKET is `-o`, kept in the entry). */
export type ServiceFlags = { flag1: boolean; flag2: boolean; flag3: boolean };

/** The entry's service key (fwmark, or protocol + address + port). */
function keyOf(e: Entry): ServiceKey {
  return e.fwmark
    ? { kind: 'fwmark', family: e.svcFamily, fwmark: e.fwmark }
    : {
        kind: 'addr',
        family: e.svcFamily,
        protocol: e.svcProto,
        address: e.svcAddr ?? '0.0.0.0',
        port: e.svcPort,
      };
}

/**
 * `-b` flags: flag-1..3 and the sh-/mh- aliases, which need their scheduler. Checked before the
 * option table, as ipvsadm does.
 */
export function schedulerFlags(e: Entry): ServiceFlags {
  const f = { flag1: false, flag2: false, flag3: false };
  if (e.schedFlagsArg === undefined) return f;
  const sched = e.scheduler || 'wlc';
  for (const fl of e.schedFlagsArg.split(',').filter((x) => x !== '')) {
    const sh = fl.match(/^(sh|mh)-(fallback|port)$/);
    if (fl === 'flag-1') f.flag1 = true;
    else if (fl === 'flag-2') f.flag2 = true;
    else if (fl === 'flag-3') f.flag3 = true;
    else if (sh) {
      if (sh[2] === 'fallback') f.flag1 = true;
      else f.flag2 = true;
      if (sched !== sh[1]) throw new UsageFail(`incompatible scheduler flag \`${fl}'`);
    } else throw new UsageFail(`invalid scheduler flag \`${fl}'`);
  }
  return f;
}

function serviceOf(e: Entry, flags: ServiceFlags): IpvsService {
  const s: IpvsService = {
    key: keyOf(e),
    scheduler: e.scheduler || 'wlc',
    flags: { ...flags, onePacket: e.onePacket },
  };
  if (e.persistent !== undefined) {
    s.persistence = {
      timeout: e.persistent,
      netmask: e.netmask ?? (e.svcFamily === 'inet6' ? 128 : '255.255.255.255'),
    };
  }
  if (e.pe) s.persistenceEngine = e.pe;
  return s;
}

function listCommand(e: Entry): IpvsadmCommand {
  const l = e.list;
  if (
    ((l.connections || l.timeout || l.daemon) && (l.stats || l.rate || l.thresholds)) ||
    ((l.timeout || l.daemon) && l.persistentConn)
  )
    throw new UsageFail('options conflicts in the list command');
  if (e.seen.has('service-address')) l.service = keyOf(e);
  return { cmd: 'list', list: l };
}

function serviceCommand(e: Entry, cmd: 'add-service' | 'edit-service', flags: ServiceFlags): IpvsadmCommand {
  if (!e.fwmark && e.svcPort === 0 && e.persistent === undefined)
    throw new UsageFail('Zero port specified for non-persistent service');
  if (e.onePacket && !e.fwmark && e.svcProto !== 'udp')
    throw new UsageFail('One-Packet Scheduling is only for UDP virtual services');
  return {
    cmd: 'op',
    op: { op: cmd === 'add-service' ? 'addService' : 'editService', service: serviceOf(e, flags) },
  };
}

function startDaemonCommand(e: Entry, state: SyncDaemon['state']): IpvsadmCommand {
  const d: SyncDaemon = {
    state,
    interface: e.daemon.interface ?? 'eth0',
    syncId: e.daemon.syncId ?? 0,
  };
  if (e.daemon.maxLen !== undefined) d.maxLen = e.daemon.maxLen;
  if (e.daemon.group !== undefined) d.group = e.daemon.group;
  if (e.daemon.port !== undefined) d.port = e.daemon.port;
  if (e.daemon.ttl !== undefined) d.ttl = e.daemon.ttl;
  return { cmd: 'op', op: { op: 'startDaemon', daemon: d } };
}

function serverCommand(e: Entry, cmd: 'add-server' | 'edit-server'): IpvsadmCommand {
  const d = { ...e.dest! };
  if (!e.fwmark && (e.method === 'tunnel' || e.method === 'droute')) d.port = e.svcPort;
  if (d.family !== e.svcFamily && e.method !== 'tunnel')
    throw new UsageFail('Different address family is allowed only for tunneling servers');
  const tunOpts = ['tun-type', ...tunnelOptNames] as const;
  if (tunOpts.some((o) => e.seen.has(o)) && e.method !== 'tunnel')
    throw new UsageFail('Tunnel options conflict with forward method');
  // tunnel_opt_check
  checkLegal(
    legalTunnelOptions[e.tunType]!,
    tunnelOptNames,
    e.seen,
    `the '${tunnelTypes[e.tunType]!}' tunnel type`,
  );
  const out: IpvsDestination = {
    ...d,
    method: e.method,
    weight: e.weight,
    upperThreshold: e.uthresh,
    lowerThreshold: e.lthresh,
  };
  if (e.method === 'tunnel') {
    const type = tunnelTypes[e.tunType]!;
    const checksum: TunnelChecksum = e.tunFlags & 2 ? 'remcsum' : e.tunFlags & 1 ? 'csum' : 'nocsum';
    out.tunnel =
      type === 'ipip' ? { type } : type === 'gre' ? { type, checksum } : { type, port: e.tunPort, checksum };
  }
  return { cmd: 'op', op: { op: cmd === 'add-server' ? 'addDest' : 'editDest', key: keyOf(e), dest: out } };
}

/** What the command needs beyond the entry: `--set`'s three timeouts, the daemon state. */
export interface VerbInput {
  timeouts: [number, number, number] | undefined;
  daemonState: SyncDaemon['state'];
}

/** The command `cmd` builds from a checked entry, after its own checks. */
export function buildCommand(cmd: Cmd, e: Entry, flags: ServiceFlags, input: VerbInput): IpvsadmCommand {
  switch (cmd) {
    case 'list':
      return listCommand(e);
    case 'save':
      return { cmd: 'save', numeric: e.list.numeric, nosort: false };
    case 'restore':
      return { cmd: 'restore' };
    case 'flush':
      return { cmd: 'op', op: { op: 'flush' } };
    case 'add-service':
    case 'edit-service':
      return serviceCommand(e, cmd, flags);
    case 'delete-service':
      return { cmd: 'op', op: { op: 'delService', key: keyOf(e) } };
    case 'zero':
      return {
        cmd: 'op',
        op: e.seen.has('service-address') ? { op: 'zero', key: keyOf(e) } : { op: 'zero' },
      };
    case 'set': {
      const [tcp, tcpFin, udp] = input.timeouts!;
      return { cmd: 'op', op: { op: 'setTimeouts', timeouts: { tcp, tcpFin, udp } } };
    }
    case 'start-daemon':
      return startDaemonCommand(e, input.daemonState);
    case 'stop-daemon':
      return { cmd: 'op', op: { op: 'stopDaemon', state: input.daemonState } };
    case 'delete-server':
      return { cmd: 'op', op: { op: 'delDest', key: keyOf(e), dest: e.dest! } };
    case 'add-server':
    case 'edit-server':
      return serverCommand(e, cmd);
  }
}
