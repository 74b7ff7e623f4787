// SPDX-License-Identifier: Apache-2.0
/**
 * ipvsadm's option switch as a table: for each option, the bit it sets (a second use is
 * "multiple ... options specified") and how its value goes into the command entry being built
 * (`Entry`, ipvsadm's `ce`). Options are read in order, so `-r host` without a port takes the
 * port of a `-t` given before it, `-M` reads the family of the service before it, and `-6` must
 * follow `-f`. Pure.
 */
import ipaddr from 'ipaddr.js';
import type { ForwardMethod, IpvsProtocol, SyncDaemon, TunnelType } from './model.js';
import type { IpFamily } from '../core/addr.js';
import type { ArgResolver, ListRequest, OptName } from './ipvsadm-options.js';
import { DEFAULT_PERSISTENT_TIMEOUT, INT_MAX, MAX_TIMEOUT, UsageFail, emptyList } from './ipvsadm-options.js';
import type { Token } from './ipvsadm-tokenize.js';
import { inetAton, parseService, toNumber } from './ipvsadm-values.js';

export const tunnelTypes: readonly TunnelType[] = ['ipip', 'gue', 'gre'];

/** The command entry as ipvsadm keeps it while reading options (ce.svc, ce.dest, daemon, list flags). */
export interface Entry {
  seen: Set<OptName>;
  svcFamily: IpFamily;
  svcProto: IpvsProtocol;
  svcAddr: string | undefined;
  svcPort: number;
  fwmark: number;
  scheduler: string;
  persistent: number | undefined;
  netmask: string | number | undefined;
  pe: string | undefined;
  onePacket: boolean;
  schedFlagsArg: string | undefined;
  dest: { family: IpFamily; address: string; port: number } | undefined;
  method: ForwardMethod;
  weight: number;
  uthresh: number;
  lthresh: number;
  /** Index into `tunnelTypes`. */
  tunType: number;
  tunPort: number;
  /** 1 = csum, 2 = remcsum. */
  tunFlags: number;
  daemon: Partial<SyncDaemon>;
  list: ListRequest;
}

export function emptyEntry(): Entry {
  return {
    seen: new Set(),
    svcFamily: 'inet',
    svcProto: 'tcp',
    svcAddr: undefined,
    svcPort: 0,
    fwmark: 0,
    scheduler: '',
    persistent: undefined,
    netmask: undefined,
    pe: undefined,
    onePacket: false,
    schedFlagsArg: undefined,
    dest: undefined,
    method: 'droute',
    weight: 1,
    uthresh: 0,
    lthresh: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
    daemon: {},
    list: emptyList(),
  };
}

type Read = (e: Entry, v: string, t: Token, r: ArgResolver) => void;

interface OptionRule {
  /** The option bit set (checked for repeats, then against the command's table); none for -6, --sort. */
  bit?: OptName;
  read: Read;
}

function readService(protocol: IpvsProtocol): Read {
  return (e, v, _t, r) => {
    e.svcProto = protocol;
    const p = parseService(v, protocol, r);
    if (!p) throw new UsageFail('illegal virtual server address[:port] specified');
    e.svcFamily = p.family;
    e.svcAddr = p.address;
    if (p.port !== undefined) e.svcPort = p.port;
    if (p.family === 'inet6') e.netmask = 128;
  };
}

function readFwmark(e: Entry, v: string): void {
  e.svcFamily = 'inet';
  e.svcProto = 'tcp';
  const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n <= 0xffffffff)) throw new UsageFail(`invalid fwmark value \`${v}' specified`);
  e.fwmark = n;
}

function readPersistent(e: Entry, v: string, t: Token): void {
  if (t.value === undefined) {
    e.persistent = DEFAULT_PERSISTENT_TIMEOUT;
    return;
  }
  const n = toNumber(v, 1, MAX_TIMEOUT);
  if (n === undefined) throw new UsageFail(`invalid timeout value \`${v}' specified`);
  e.persistent = n;
}

function readNetmask(e: Entry, v: string, _t: Token, r: ArgResolver): void {
  if (e.svcFamily !== 'inet6') {
    const m = inetAton(v) ?? r.hostToAddr?.(v);
    if (m === undefined) throw new UsageFail('illegal virtual server persistent mask specified');
    e.netmask = m;
    return;
  }
  const n = Number.parseInt(v, 10);
  if (!(n >= 1 && n <= 128)) throw new UsageFail('illegal ipv6 netmask specified');
  e.netmask = n;
}

function readRealServer(e: Entry, v: string, _t: Token, r: ArgResolver): void {
  const p = parseService(v, e.svcProto, r);
  if (!p) throw new UsageFail('illegal real server address[:port] specified');
  e.dest = { family: p.family, address: p.address, port: p.port ?? e.svcPort };
}

/** A number option within [min, max] into one field of the entry. */
function readInt(min: number, max: number, message: string, set: (e: Entry, n: number) => void): Read {
  return (e, v) => {
    const n = toNumber(v, min, max);
    if (n === undefined) throw new UsageFail(message);
    set(e, n);
  };
}

function readMcastGroup(e: Entry, v: string): void {
  if (v.includes(':')) {
    if (!ipaddr.IPv6.isValid(v) || ipaddr.IPv6.parse(v).range() !== 'multicast')
      throw new UsageFail(`invalid IPv6 mcast-group \`${v}'`);
    e.daemon.group = ipaddr.IPv6.parse(v).toString();
  } else {
    if (!ipaddr.IPv4.isValidFourPartDecimal(v) || ipaddr.IPv4.parse(v).range() !== 'multicast')
      throw new UsageFail(`invalid IPv4 mcast-group \`${v}'`);
    e.daemon.group = v;
  }
}

function readIpv6(e: Entry): void {
  if (e.fwmark === 0) throw new UsageFail('-6 used before -f\n');
  e.svcFamily = 'inet6';
  e.netmask = 128;
}

function readTunType(e: Entry, v: string): void {
  const i = tunnelTypes.indexOf(v as TunnelType);
  if (i < 0) throw new UsageFail('illegal tunnel type specified');
  e.tunType = i;
}

const method = (m: ForwardMethod): OptionRule => ({ bit: 'forwarding-method', read: (e) => (e.method = m) });
const listFlag = (bit: OptName, field: Exclude<keyof ListRequest, 'service'>): OptionRule => ({
  bit,
  read: (e) => (e.list[field] = true),
});

/** Every option that may follow the command option, by long name. */
const optionRules: Readonly<Record<string, OptionRule>> = {
  'tcp-service': { bit: 'service-address', read: readService('tcp') },
  'udp-service': { bit: 'service-address', read: readService('udp') },
  'sctp-service': { bit: 'service-address', read: readService('sctp') },
  'fwmark-service': { bit: 'service-address', read: readFwmark },
  scheduler: { bit: 'scheduler', read: (e, v) => (e.scheduler = v.slice(0, 15)) },
  persistent: { bit: 'persistent', read: readPersistent },
  netmask: { bit: 'netmask', read: readNetmask },
  'real-server': { bit: 'real-server', read: readRealServer },
  ipip: method('tunnel'),
  gatewaying: method('droute'),
  masquerading: method('masq'),
  // ipvsadm.c says 0..65535, but Debian's ipvsadm 1.31 passes larger weights to the kernel
  weight: { bit: 'weight', read: readInt(0, INT_MAX, 'illegal weight specified', (e, n) => (e.weight = n)) },
  'u-threshold': {
    bit: 'u-threshold',
    read: readInt(0, INT_MAX, 'illegal u_threshold specified', (e, n) => (e.uthresh = n)),
  },
  'l-threshold': {
    bit: 'l-threshold',
    read: readInt(0, INT_MAX, 'illegal l_threshold specified', (e, n) => (e.lthresh = n)),
  },
  connection: listFlag('connection', 'connections'),
  numeric: listFlag('numeric', 'numeric'),
  'mcast-interface': { bit: 'mcast-interface', read: (e, v) => (e.daemon.interface = v.slice(0, 15)) },
  syncid: {
    bit: 'syncid',
    read: readInt(0, 255, 'illegal syncid specified', (e, n) => (e.daemon.syncId = n)),
  },
  timeout: listFlag('timeout', 'timeout'),
  daemon: listFlag('daemon', 'daemon'),
  stats: listFlag('stats', 'stats'),
  rate: listFlag('rate', 'rate'),
  thresholds: listFlag('thresholds', 'thresholds'),
  'persistent-conn': listFlag('persistent-conn', 'persistentConn'),
  nosort: listFlag('nosort', 'nosort'),
  sort: { read: () => {} },
  exact: listFlag('exact', 'exact'),
  ipv6: { read: readIpv6 },
  ops: { bit: 'ops', read: (e) => (e.onePacket = true) },
  pe: { bit: 'pe', read: (e, v) => (e.pe = v.slice(0, 16)) },
  'sched-flags': { bit: 'sched-flags', read: (e, v) => (e.schedFlagsArg = v.slice(0, 127)) },
  'mcast-group': { bit: 'mcast-group', read: readMcastGroup },
  'mcast-port': {
    bit: 'mcast-port',
    read: readInt(1, 65535, 'illegal mcast-port specified', (e, n) => (e.daemon.port = n)),
  },
  'mcast-ttl': {
    bit: 'mcast-ttl',
    read: readInt(1, 255, 'illegal mcast-ttl specified', (e, n) => (e.daemon.ttl = n)),
  },
  'sync-maxlen': {
    bit: 'sync-maxlen',
    read: readInt(1, 65535 - 20 - 8, 'illegal sync-maxlen specified', (e, n) => (e.daemon.maxLen = n)),
  },
  'tun-info': listFlag('tun-info', 'tunInfo'),
  'tun-type': { bit: 'tun-type', read: readTunType },
  'tun-port': {
    bit: 'tun-port',
    read: readInt(1, 65535, 'illegal tunnel port specified', (e, n) => (e.tunPort = n)),
  },
  'tun-nocsum': { bit: 'tun-nocsum', read: () => {} },
  'tun-csum': { bit: 'tun-csum', read: (e) => (e.tunFlags |= 1) },
  'tun-remcsum': { bit: 'tun-remcsum', read: (e) => (e.tunFlags |= 2) },
};

/** Read the options after the command option into `e`, in order, with ipvsadm's messages. */
export function readOptions(e: Entry, opts: readonly Token[], r: ArgResolver): void {
  for (const t of opts) {
    const rule = Object.hasOwn(optionRules, t.name) ? optionRules[t.name] : undefined;
    // a second command option (e.g. `-A -a`): popt hands it to the option switch
    if (!rule) throw new UsageFail(`invalid option \`${t.text}'`);
    if (rule.bit !== undefined) {
      if (e.seen.has(rule.bit)) throw new UsageFail(`multiple '${rule.bit}' options specified`);
      e.seen.add(rule.bit);
    }
    rule.read(e, t.value ?? '', t, r);
  }
}
