// SPDX-License-Identifier: Apache-2.0
/**
 * The ipvsadm command-line grammar: argv -> a command (`IpvsOp` or a listing request), with
 * ipvsadm's own checks and error messages, and the inverse (`opToArgs`) used to print plans. Pure.
 *
 * Written from ipvsadm 1.31's behaviour (parse_options, process_options, generic_opt_check,
 * commands_v_options, tunnel_opt_check): options are read in order, so `-r host` without a port
 * takes the port of a `-t` given *before* it, `-M` reads the family of the service given before it,
 * and `-6` must follow `-f`. popt's option syntax is followed: bundled short flags (`-Ln`), `-wN`,
 * `--opt=value`, `-p` with an optional argument that is taken only when it does not start with `-`.
 * One deliberate difference: every usage error exits 2 (ipvsadm exits 255 on some).
 */
import ipaddr from 'ipaddr.js';
import type { Result } from '../core/errors.js';
import type {
  ForwardMethod,
  IpFamily,
  IpvsDestination,
  IpvsProtocol,
  IpvsService,
  ServiceKey,
  SyncDaemon,
  SyncDaemonState,
  TunnelChecksum,
  TunnelType,
} from './model.js';
import { formatAddrPort } from './model.js';
import type { IpvsOp } from './ops.js';

/** Name lookups for arguments (gethostbyname / getservbyname); absent = numbers only. */
export interface ArgResolver {
  hostToAddr?(name: string): string | undefined;
  serviceToPort?(name: string, protocol: IpvsProtocol): number | undefined;
}

export interface ListRequest {
  numeric: boolean;
  connections: boolean;
  timeout: boolean;
  daemon: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  tunInfo: boolean;
  exact: boolean;
  nosort: boolean;
  service?: ServiceKey;
}

export type IpvsadmCommand =
  | { cmd: 'list'; list: ListRequest }
  | { cmd: 'save'; numeric: boolean; nosort: boolean }
  | { cmd: 'restore' }
  | { cmd: 'help' }
  | { cmd: 'version' }
  | { cmd: 'op'; op: IpvsOp };

export interface UsageError {
  message: string;
  /** Print "Try `PROG -h' or 'PROG --help' for more information." instead of the message. */
  tryHelp?: boolean;
}

/** ipvsadm's default persistence timeout (IPVS_SVC_PERSISTENT_TIMEOUT, 6 min). */
export const DEFAULT_PERSISTENT_TIMEOUT = 360;
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2147483647;

// Option bits in ipvsadm's order (OPTC_*), with their names for messages.
const optNames = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;
type OptName = (typeof optNames)[number];

type Cmd =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'flush'
  | 'list'
  | 'add-server'
  | 'delete-server'
  | 'edit-server'
  | 'set'
  | 'start-daemon'
  | 'stop-daemon'
  | 'restore'
  | 'save'
  | 'zero';

// commands_v_options: '+' required, 'x' illegal, '1' at most one of them, ' ' optional.
const legal: Record<Cmd, string> = {
  'add-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'edit-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  flush: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  list: ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'add-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'delete-server': 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  set: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon': 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'stop-daemon': 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  restore: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  save: ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  zero: 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};

class Fail extends Error {
  constructor(
    message: string,
    readonly tryHelp = false,
  ) {
    super(message);
  }
}

interface OptSpec {
  long: string;
  short?: string;
  arg: 'none' | 'required' | 'optional';
}

const specs: OptSpec[] = [
  { long: 'add-service', short: 'A', arg: 'none' },
  { long: 'edit-service', short: 'E', arg: 'none' },
  { long: 'delete-service', short: 'D', arg: 'none' },
  { long: 'clear', short: 'C', arg: 'none' },
  { long: 'list', short: 'L', arg: 'none' },
  { long: 'list', short: 'l', arg: 'none' },
  { long: 'zero', short: 'Z', arg: 'none' },
  { long: 'add-server', short: 'a', arg: 'none' },
  { long: 'edit-server', short: 'e', arg: 'none' },
  { long: 'delete-server', short: 'd', arg: 'none' },
  { long: 'set', arg: 'none' },
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'version', short: 'v', arg: 'none' },
  { long: 'restore', short: 'R', arg: 'none' },
  { long: 'save', short: 'S', arg: 'none' },
  { long: 'start-daemon', arg: 'required' },
  { long: 'stop-daemon', arg: 'required' },
  { long: 'tcp-service', short: 't', arg: 'required' },
  { long: 'udp-service', short: 'u', arg: 'required' },
  { long: 'sctp-service', arg: 'required' },
  { long: 'fwmark-service', short: 'f', arg: 'required' },
  { long: 'scheduler', short: 's', arg: 'required' },
  { long: 'persistent', short: 'p', arg: 'optional' },
  { long: 'netmask', short: 'M', arg: 'required' },
  { long: 'real-server', short: 'r', arg: 'required' },
  { long: 'masquerading', short: 'm', arg: 'none' },
  { long: 'ipip', short: 'i', arg: 'none' },
  { long: 'gatewaying', short: 'g', arg: 'none' },
  { long: 'weight', short: 'w', arg: 'required' },
  { long: 'u-threshold', short: 'x', arg: 'required' },
  { long: 'l-threshold', short: 'y', arg: 'required' },
  { long: 'numeric', short: 'n', arg: 'none' },
  { long: 'connection', short: 'c', arg: 'none' },
  { long: 'mcast-interface', arg: 'required' },
  { long: 'syncid', arg: 'required' },
  { long: 'timeout', arg: 'none' },
  { long: 'daemon', arg: 'none' },
  { long: 'stats', arg: 'none' },
  { long: 'rate', arg: 'none' },
  { long: 'thresholds', arg: 'none' },
  { long: 'persistent-conn', arg: 'none' },
  { long: 'nosort', arg: 'none' },
  { long: 'sort', arg: 'none' },
  { long: 'exact', short: 'X', arg: 'none' },
  { long: 'ipv6', short: '6', arg: 'none' },
  { long: 'ops', short: 'o', arg: 'none' },
  { long: 'pe', arg: 'required' },
  { long: 'sched-flags', short: 'b', arg: 'required' },
  { long: 'mcast-group', arg: 'required' },
  { long: 'mcast-port', arg: 'required' },
  { long: 'mcast-ttl', arg: 'required' },
  { long: 'sync-maxlen', arg: 'required' },
  { long: 'tun-info', arg: 'none' },
  { long: 'tun-type', arg: 'required' },
  { long: 'tun-port', arg: 'required' },
  { long: 'tun-nocsum', arg: 'none' },
  { long: 'tun-csum', arg: 'none' },
  { long: 'tun-remcsum', arg: 'none' },
];

interface Token {
  /** Long name of the option. */
  name: string;
  /** As written, for messages. */
  text: string;
  value: string | undefined;
}

/** popt-style tokenizer: yields options in order and collects leftover arguments. */
function tokenize(argv: readonly string[]): { opts: Token[]; rest: string[] } {
  const opts: Token[] = [];
  try {
    return tokenizeInto(argv, opts);
  } catch (e) {
    // popt fails on the first option: ipvsadm then only says "Try ... -h"
    if (e instanceof Fail && opts.length === 0) throw new Fail('', true);
    throw e;
  }
}

function tokenizeInto(argv: readonly string[], opts: Token[]): { opts: Token[]; rest: string[] } {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = specs.find((s) => s.long === name);
      if (!spec) throw new Fail(`${eq >= 0 ? a.slice(0, eq) : a}: unknown option`);
      let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (spec.arg === 'none' && value !== undefined)
        throw new Fail(`${a}: option does not take an argument`);
      if (spec.arg !== 'none' && value === undefined) {
        const next = argv[i + 1];
        if (spec.arg === 'required') {
          if (next === undefined) throw new Fail(`--${name}: missing argument`);
          value = next;
          i++;
        } else if (next !== undefined && !next.startsWith('-')) {
          value = next;
          i++;
        }
      }
      opts.push({ name: spec.long, text: `--${name}`, value });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = specs.find((s) => s.short === ch);
        if (!spec) throw new Fail(`-${ch}: unknown option`);
        if (spec.arg === 'none') {
          opts.push({ name: spec.long, text: `-${ch}`, value: undefined });
          continue;
        }
        let value: string | undefined = a.slice(j + 1) || undefined;
        if (value === undefined) {
          const next = argv[i + 1];
          if (spec.arg === 'required') {
            if (next === undefined) throw new Fail(`-${ch}: missing argument`);
            value = next;
            i++;
          } else if (next !== undefined && !next.startsWith('-')) {
            value = next;
            i++;
          }
        }
        opts.push({ name: spec.long, text: `-${ch}`, value });
        break;
      }
      continue;
    }
    rest.push(a);
  }
  return { opts, rest };
}

/** strtol-based string_to_number: whole string decimal, within [min, max], else undefined. */
function toNumber(s: string, min: number, max: number): number | undefined {
  if (!/^\s*[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** inet_aton: accepts a, a.b, a.b.c, a.b.c.d in decimal, octal or hex. */
function inetAton(s: string): string | undefined {
  if (!/^[0-9a-fA-FxX.]+$/.test(s)) return undefined;
  try {
    if (!ipaddr.IPv4.isValid(s)) return undefined;
    return ipaddr.IPv4.parse(s).toString();
  } catch {
    return undefined;
  }
}

interface Parsed {
  family: IpFamily;
  address: string;
  port: number | undefined;
}

/** parse_service: `host[:port]`, `[v6]:port`, bare v6; undefined = SERVICE_NONE. */
function parseService(buf: string, protocol: IpvsProtocol, r: ArgResolver): Parsed | undefined {
  if (/^\d*$/.test(buf)) return undefined;
  let host = buf;
  let portText: string | undefined;
  if (buf.startsWith('[')) {
    const close = buf.indexOf(']');
    if (close < 0 || buf[close + 1] !== ':') return undefined;
    host = buf.slice(1, close);
    portText = buf.slice(close + 2);
  }
  let family: IpFamily;
  let address: string;
  if (ipaddr.IPv6.isValid(host) && host.includes(':')) {
    family = 'inet6';
    address = ipaddr.IPv6.parse(host).toString();
  } else {
    if (portText === undefined) {
      const c = host.lastIndexOf(':');
      if (c >= 0) {
        portText = host.slice(c + 1);
        host = host.slice(0, c);
      }
    }
    const a = inetAton(host) ?? r.hostToAddr?.(host);
    if (a === undefined || !ipaddr.IPv4.isValid(a)) return undefined;
    family = 'inet';
    address = ipaddr.IPv4.parse(a).toString();
  }
  if (portText === undefined) return { family, address, port: undefined };
  const port = toNumber(portText, 0, 65535) ?? r.serviceToPort?.(portText, protocol);
  if (port === undefined) return undefined;
  return { family, address, port };
}

const tunnelTypes: readonly TunnelType[] = ['ipip', 'gue', 'gre'];

/** Parse one ipvsadm command line (without the program name). */
export function parseIpvsadmArgs(
  argv: readonly string[],
  resolver: ArgResolver = {},
): Result<IpvsadmCommand, UsageError> {
  try {
    return { ok: true, value: parseOrThrow(argv, resolver) };
  } catch (e) {
    if (e instanceof Fail) {
      const error: UsageError = { message: e.message };
      if (e.tryHelp) error.tryHelp = true;
      return { ok: false, error };
    }
    throw e;
  }
}

function parseOrThrow(argv: readonly string[], r: ArgResolver): IpvsadmCommand {
  if (argv.length === 0) return { cmd: 'list', list: emptyList() };
  const { opts, rest } = tokenize(argv);
  if (opts.length === 0) throw new Fail('', true);
  const first = opts[0];
  const commandOf: Record<string, Cmd | 'help' | 'version'> = {
    'add-service': 'add-service',
    'edit-service': 'edit-service',
    'delete-service': 'delete-service',
    clear: 'flush',
    list: 'list',
    zero: 'zero',
    'add-server': 'add-server',
    'edit-server': 'edit-server',
    'delete-server': 'delete-server',
    set: 'set',
    restore: 'restore',
    save: 'save',
    'start-daemon': 'start-daemon',
    'stop-daemon': 'stop-daemon',
    help: 'help',
    version: 'version',
  };
  const c0 = first ? commandOf[first.name] : undefined;
  if (!first || c0 === undefined) throw new Fail('', true);
  if (c0 === 'help') return { cmd: 'help' };
  if (c0 === 'version') return { cmd: 'version' };
  const cmd: Cmd = c0;

  let daemonState: SyncDaemonState = 'master';
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
    if (first.value === 'master' || first.value === 'backup') daemonState = first.value;
    else
      throw new Fail(
        cmd === 'start-daemon'
          ? 'illegal start-daemon parameter specified'
          : 'illegal start_daemon specified',
      );
  }

  const seen = new Set<OptName>();
  const setOption = (o: OptName): void => {
    if (seen.has(o)) throw new Fail(`multiple '${o}' options specified`);
    seen.add(o);
  };

  // ce.svc / ce.dest as ipvsadm keeps them while reading options
  let svcFamily: IpFamily = 'inet';
  let svcProto: IpvsProtocol = 'tcp';
  let svcAddr: string | undefined;
  let svcPort = 0;
  let fwmark = 0;
  let scheduler = '';
  let persistent: number | undefined;
  let netmask: string | number | undefined;
  let pe: string | undefined;
  let onePacket = false;
  let schedFlagsArg: string | undefined;
  let dest: { family: IpFamily; address: string; port: number } | undefined;
  let method: ForwardMethod = 'droute';
  let weight = 1;
  let uthresh = 0;
  let lthresh = 0;
  let tunType = 0;
  let tunPort = 0;
  let tunFlags = 0;
  const daemon: Partial<SyncDaemon> = {};
  const list = emptyList();

  for (const t of opts.slice(1)) {
    const v = t.value ?? '';
    switch (t.name) {
      case 'tcp-service':
      case 'udp-service':
      case 'sctp-service': {
        setOption('service-address');
        svcProto = t.name === 'tcp-service' ? 'tcp' : t.name === 'udp-service' ? 'udp' : 'sctp';
        const p = parseService(v, svcProto, r);
        if (!p) throw new Fail('illegal virtual server address[:port] specified');
        svcFamily = p.family;
        svcAddr = p.address;
        if (p.port !== undefined) svcPort = p.port;
        if (p.family === 'inet6') netmask = 128;
        break;
      }
      case 'fwmark-service': {
        setOption('service-address');
        svcFamily = 'inet';
        svcProto = 'tcp';
        const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
        if (!(n > 0 && n <= 0xffffffff)) throw new Fail(`invalid fwmark value \`${v}' specified`);
        fwmark = n;
        break;
      }
      case 'scheduler':
        setOption('scheduler');
        scheduler = v.slice(0, 15);
        break;
      case 'persistent': {
        setOption('persistent');
        if (t.value === undefined) persistent = DEFAULT_PERSISTENT_TIMEOUT;
        else {
          const n = toNumber(v, 1, MAX_TIMEOUT);
          if (n === undefined) throw new Fail(`invalid timeout value \`${v}' specified`);
          persistent = n;
        }
        break;
      }
      case 'netmask':
        setOption('netmask');
        if (svcFamily !== 'inet6') {
          const m = inetAton(v) ?? r.hostToAddr?.(v);
          if (m === undefined) throw new Fail('illegal virtual server persistent mask specified');
          netmask = m;
        } else {
          const n = Number.parseInt(v, 10);
          if (!(n >= 1 && n <= 128)) throw new Fail('illegal ipv6 netmask specified');
          netmask = n;
        }
        break;
      case 'real-server': {
        setOption('real-server');
        const p = parseService(v, svcProto, r);
        if (!p) throw new Fail('illegal real server address[:port] specified');
        dest = { family: p.family, address: p.address, port: p.port ?? svcPort };
        break;
      }
      case 'ipip':
      case 'gatewaying':
      case 'masquerading':
        setOption('forwarding-method');
        method = t.name === 'ipip' ? 'tunnel' : t.name === 'gatewaying' ? 'droute' : 'masq';
        break;
      case 'weight': {
        setOption('weight');
        // ipvsadm.c says 0..65535, but Debian's ipvsadm 1.31 passes larger weights to the kernel
        const n = toNumber(v, 0, INT_MAX);
        if (n === undefined) throw new Fail('illegal weight specified');
        weight = n;
        break;
      }
      case 'u-threshold':
      case 'l-threshold': {
        const u = t.name === 'u-threshold';
        setOption(u ? 'u-threshold' : 'l-threshold');
        const n = toNumber(v, 0, INT_MAX);
        if (n === undefined) throw new Fail(`illegal ${u ? 'u' : 'l'}_threshold specified`);
        if (u) uthresh = n;
        else lthresh = n;
        break;
      }
      case 'connection':
        setOption('connection');
        list.connections = true;
        break;
      case 'numeric':
        setOption('numeric');
        list.numeric = true;
        break;
      case 'mcast-interface':
        setOption('mcast-interface');
        daemon.interface = v.slice(0, 15);
        break;
      case 'syncid': {
        setOption('syncid');
        const n = toNumber(v, 0, 255);
        if (n === undefined) throw new Fail('illegal syncid specified');
        daemon.syncId = n;
        break;
      }
      case 'timeout':
        setOption('timeout');
        list.timeout = true;
        break;
      case 'daemon':
        setOption('daemon');
        list.daemon = true;
        break;
      case 'stats':
        setOption('stats');
        list.stats = true;
        break;
      case 'rate':
        setOption('rate');
        list.rate = true;
        break;
      case 'thresholds':
        setOption('thresholds');
        list.thresholds = true;
        break;
      case 'persistent-conn':
        setOption('persistent-conn');
        list.persistentConn = true;
        break;
      case 'nosort':
        setOption('nosort');
        list.nosort = true;
        break;
      case 'sort':
        break;
      case 'exact':
        setOption('exact');
        list.exact = true;
        break;
      case 'ipv6':
        if (fwmark === 0) throw new Fail('-6 used before -f\n');
        svcFamily = 'inet6';
        netmask = 128;
        break;
      case 'ops':
        setOption('ops');
        onePacket = true;
        break;
      case 'pe':
        setOption('pe');
        pe = v.slice(0, 16);
        break;
      case 'sched-flags':
        setOption('sched-flags');
        schedFlagsArg = v.slice(0, 127);
        break;
      case 'mcast-group': {
        setOption('mcast-group');
        if (v.includes(':')) {
          if (!ipaddr.IPv6.isValid(v) || ipaddr.IPv6.parse(v).range() !== 'multicast')
            throw new Fail(`invalid IPv6 mcast-group \`${v}'`);
          daemon.group = ipaddr.IPv6.parse(v).toString();
        } else {
          if (!ipaddr.IPv4.isValidFourPartDecimal(v) || ipaddr.IPv4.parse(v).range() !== 'multicast')
            throw new Fail(`invalid IPv4 mcast-group \`${v}'`);
          daemon.group = v;
        }
        break;
      }
      case 'mcast-port':
      case 'mcast-ttl':
      case 'sync-maxlen': {
        setOption(t.name);
        const max = t.name === 'mcast-port' ? 65535 : t.name === 'mcast-ttl' ? 255 : 65535 - 20 - 8;
        const n = toNumber(v, 1, max);
        if (n === undefined) throw new Fail(`illegal ${t.name} specified`);
        if (t.name === 'mcast-port') daemon.port = n;
        else if (t.name === 'mcast-ttl') daemon.ttl = n;
        else daemon.maxLen = n;
        break;
      }
      case 'tun-info':
        setOption('tun-info');
        list.tunInfo = true;
        break;
      case 'tun-type': {
        setOption('tun-type');
        const i = tunnelTypes.indexOf(v as TunnelType);
        if (i < 0) throw new Fail('illegal tunnel type specified');
        tunType = i;
        break;
      }
      case 'tun-port': {
        setOption('tun-port');
        const n = toNumber(v, 1, 65535);
        if (n === undefined) throw new Fail('illegal tunnel port specified');
        tunPort = n;
        break;
      }
      case 'tun-nocsum':
        setOption('tun-nocsum');
        break;
      case 'tun-csum':
        setOption('tun-csum');
        tunFlags |= 1;
        break;
      case 'tun-remcsum':
        setOption('tun-remcsum');
        tunFlags |= 2;
        break;
      default:
        // a second command option (e.g. `-A -a`): popt hands it to the option switch
        throw new Fail(`invalid option \`${t.text}'`);
    }
  }

  const positional = [...rest];
  let timeouts: [number, number, number] | undefined;
  if (cmd === 'set') {
    if (positional.length < 3) throw new Fail('--set option requires 3 timeout values');
    timeouts = positional.splice(0, 3).map((x) => {
      const n = toNumber(x, 0, MAX_TIMEOUT);
      if (n === undefined) throw new Fail(`invalid timeout value \`${x}' specified`);
      return n;
    }) as [number, number, number];
  }
  if (positional.length > 0) throw new Fail(`unexpected argument ${positional[0]}`);

  let flag1 = false;
  let flag2 = false;
  let flag3 = false;
  if (schedFlagsArg !== undefined) {
    const sched = scheduler || 'wlc';
    for (const fl of schedFlagsArg.split(',').filter((x) => x !== '')) {
      const sh = fl.match(/^(sh|mh)-(fallback|port)$/);
      if (fl === 'flag-1') flag1 = true;
      else if (fl === 'flag-2') flag2 = true;
      else if (fl === 'flag-3') flag3 = true;
      else if (sh) {
        if (sh[2] === 'fallback') flag1 = true;
        else flag2 = true;
        if (sched !== sh[1]) throw new Fail(`incompatible scheduler flag \`${fl}'`);
      } else throw new Fail(`invalid scheduler flag \`${fl}'`);
    }
  }

  // generic_opt_check
  const table = legal[cmd];
  let firstExclusive: OptName | undefined;
  optNames.forEach((o, j) => {
    const rule = table[j];
    if (!seen.has(o)) {
      if (rule === '+') throw new Fail(`You need to supply the '${o}' option for the '${cmd}' command`);
      return;
    }
    if (rule === 'x') throw new Fail(`Illegal '${o}' option with the '${cmd}' command`);
    if (rule === '1') {
      if (firstExclusive === undefined) firstExclusive = o;
      else
        throw new Fail(
          `The option '${o}' conflicts with the '${firstExclusive}' option in the '${cmd}' command`,
        );
    }
  });

  const key = (): ServiceKey =>
    fwmark
      ? { kind: 'fwmark', family: svcFamily, fwmark }
      : { kind: 'addr', family: svcFamily, protocol: svcProto, address: svcAddr ?? '0.0.0.0', port: svcPort };

  const service = (): IpvsService => {
    const s: IpvsService = {
      key: key(),
      scheduler: scheduler || 'wlc',
      flags: { flag1, flag2, flag3, onePacket },
    };
    if (persistent !== undefined) {
      s.persistence = {
        timeout: persistent,
        netmask: netmask ?? (svcFamily === 'inet6' ? 128 : '255.255.255.255'),
      };
    }
    if (pe) s.persistenceEngine = pe;
    return s;
  };

  switch (cmd) {
    case 'list':
      if (
        ((list.connections || list.timeout || list.daemon) && (list.stats || list.rate || list.thresholds)) ||
        ((list.timeout || list.daemon) && list.persistentConn)
      )
        throw new Fail('options conflicts in the list command');
      if (seen.has('service-address')) list.service = key();
      return { cmd: 'list', list };
    case 'save':
      return { cmd: 'save', numeric: list.numeric, nosort: false };
    case 'restore':
      return { cmd: 'restore' };
    case 'flush':
      return { cmd: 'op', op: { op: 'flush' } };
    case 'add-service':
    case 'edit-service':
      if (!fwmark && svcPort === 0 && persistent === undefined)
        throw new Fail('Zero port specified for non-persistent service');
      if (onePacket && !fwmark && svcProto !== 'udp')
        throw new Fail('One-Packet Scheduling is only for UDP virtual services');
      return {
        cmd: 'op',
        op: { op: cmd === 'add-service' ? 'addService' : 'editService', service: service() },
      };
    case 'delete-service':
      return { cmd: 'op', op: { op: 'delService', key: key() } };
    case 'zero':
      return { cmd: 'op', op: seen.has('service-address') ? { op: 'zero', key: key() } : { op: 'zero' } };
    case 'set':
      return {
        cmd: 'op',
        op: { op: 'setTimeouts', timeouts: { tcp: timeouts![0], tcpFin: timeouts![1], udp: timeouts![2] } },
      };
    case 'start-daemon': {
      const d: SyncDaemon = {
        state: daemonState,
        interface: daemon.interface ?? 'eth0',
        syncId: daemon.syncId ?? 0,
      };
      if (daemon.maxLen !== undefined) d.maxLen = daemon.maxLen;
      if (daemon.group !== undefined) d.group = daemon.group;
      if (daemon.port !== undefined) d.port = daemon.port;
      if (daemon.ttl !== undefined) d.ttl = daemon.ttl;
      return { cmd: 'op', op: { op: 'startDaemon', daemon: d } };
    }
    case 'stop-daemon':
      return { cmd: 'op', op: { op: 'stopDaemon', state: daemonState } };
    case 'delete-server':
      return {
        cmd: 'op',
        op: { op: 'delDest', key: key(), dest: dest! },
      };
    case 'add-server':
    case 'edit-server': {
      const d = { ...dest! };
      if (!fwmark && (method === 'tunnel' || method === 'droute')) d.port = svcPort;
      if (d.family !== svcFamily && method !== 'tunnel')
        throw new Fail('Different address family is allowed only for tunneling servers');
      const tunOpts = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
      if (tunOpts.some((o) => seen.has(o)) && method !== 'tunnel')
        throw new Fail('Tunnel options conflict with forward method');
      checkTunnel(tunType, seen);
      const out: IpvsDestination = {
        ...d,
        method,
        weight,
        upperThreshold: uthresh,
        lowerThreshold: lthresh,
      };
      if (method === 'tunnel') {
        const type = tunnelTypes[tunType]!;
        const checksum: TunnelChecksum = tunFlags & 2 ? 'remcsum' : tunFlags & 1 ? 'csum' : 'nocsum';
        out.tunnel =
          type === 'ipip'
            ? { type }
            : type === 'gre'
              ? { type, checksum }
              : { type, port: tunPort, checksum };
      }
      return { cmd: 'op', op: { op: cmd === 'add-server' ? 'addDest' : 'editDest', key: key(), dest: out } };
    }
  }
}

// tunnel_types_v_options over (tun-port, tun-nocsum, tun-csum, tun-remcsum)
const tunnelLegal = ['xxxx', '+111', 'x11x'];
const tunOptNames = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;

function checkTunnel(type: number, seen: ReadonlySet<OptName>): void {
  const rules = tunnelLegal[type]!;
  const name = tunnelTypes[type]!;
  let firstExclusive: string | undefined;
  tunOptNames.forEach((o, j) => {
    const rule = rules[j];
    if (!seen.has(o)) {
      if (rule === '+') throw new Fail(`You need to supply the '${o}' option for the '${name}' tunnel type`);
      return;
    }
    if (rule === 'x') throw new Fail(`Illegal '${o}' option with the '${name}' tunnel type`);
    if (rule === '1') {
      if (firstExclusive === undefined) firstExclusive = o;
      else
        throw new Fail(
          `The option '${o}' conflicts with the '${firstExclusive}' option in the '${name}' tunnel type`,
        );
    }
  });
}

function emptyList(): ListRequest {
  return {
    numeric: false,
    connections: false,
    timeout: false,
    daemon: false,
    stats: false,
    rate: false,
    thresholds: false,
    persistentConn: false,
    tunInfo: false,
    exact: false,
    nosort: false,
  };
}

// ---- the inverse: IpvsOp -> ipvsadm arguments --------------------------------------------------

/** `-t 10.0.0.1:80`, `-f 7 -6`, as ipvsadm -S writes them. */
export function serviceArgs(key: ServiceKey): string[] {
  if (key.kind === 'fwmark')
    return key.family === 'inet6' ? ['-f', String(key.fwmark), '-6'] : ['-f', String(key.fwmark)];
  const opt = key.protocol === 'tcp' ? '-t' : key.protocol === 'udp' ? '-u' : '--sctp-service';
  return [opt, formatAddrPort(key.family, key.address, key.port)];
}

function serviceOptions(s: IpvsService): string[] {
  const a = ['-s', s.scheduler];
  if (s.persistence) a.push('-p', String(s.persistence.timeout), '-M', String(s.persistence.netmask));
  if (s.persistenceEngine) a.push('--pe', s.persistenceEngine);
  if (s.flags.onePacket) a.push('-o');
  const fl: string[] = [];
  if (s.flags.flag1) fl.push('flag-1');
  if (s.flags.flag2) fl.push('flag-2');
  if (s.flags.flag3) fl.push('flag-3');
  if (fl.length) a.push('-b', fl.join(','));
  return a;
}

const methodSwitch: Record<ForwardMethod, string> = {
  masq: '-m',
  droute: '-g',
  local: '-g',
  tunnel: '-i',
  bypass: '-g',
};

function destOptions(d: IpvsDestination): string[] {
  const a = [
    '-r',
    formatAddrPort(d.family, d.address, d.port),
    methodSwitch[d.method],
    '-w',
    String(d.weight),
  ];
  if (d.upperThreshold) a.push('-x', String(d.upperThreshold));
  if (d.lowerThreshold) a.push('-y', String(d.lowerThreshold));
  if (d.method === 'tunnel' && d.tunnel) {
    a.push('--tun-type', d.tunnel.type);
    if (d.tunnel.type === 'gue') a.push('--tun-port', String(d.tunnel.port ?? 0));
    if (d.tunnel.type !== 'ipip') a.push(`--tun-${d.tunnel.checksum ?? 'nocsum'}`);
  }
  return a;
}

/** The ipvsadm arguments that perform `op` (what `lvsd ipvs apply --dry-run` prints). */
export function opToArgs(op: IpvsOp): string[] {
  switch (op.op) {
    case 'addService':
      return ['-A', ...serviceArgs(op.service.key), ...serviceOptions(op.service)];
    case 'editService':
      return ['-E', ...serviceArgs(op.service.key), ...serviceOptions(op.service)];
    case 'delService':
      return ['-D', ...serviceArgs(op.key)];
    case 'addDest':
      return ['-a', ...serviceArgs(op.key), ...destOptions(op.dest)];
    case 'editDest':
      return ['-e', ...serviceArgs(op.key), ...destOptions(op.dest)];
    case 'delDest':
      return [
        '-d',
        ...serviceArgs(op.key),
        '-r',
        formatAddrPort(op.dest.family, op.dest.address, op.dest.port),
      ];
    case 'flush':
      return ['-C'];
    case 'zero':
      return op.key ? ['-Z', ...serviceArgs(op.key)] : ['-Z'];
    case 'setTimeouts':
      return ['--set', String(op.timeouts.tcp), String(op.timeouts.tcpFin), String(op.timeouts.udp)];
    case 'startDaemon': {
      const d = op.daemon;
      const a = ['--start-daemon', d.state, '--mcast-interface', d.interface, '--syncid', String(d.syncId)];
      if (d.maxLen) a.push('--sync-maxlen', String(d.maxLen));
      if (d.group) a.push('--mcast-group', d.group);
      if (d.port) a.push('--mcast-port', String(d.port));
      if (d.ttl) a.push('--mcast-ttl', String(d.ttl));
      return a;
    }
    case 'stopDaemon':
      return ['--stop-daemon', op.state];
  }
}
