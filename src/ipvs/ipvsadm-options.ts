// SPDX-License-Identifier: Apache-2.0
/**
 * The ipvsadm command line's vocabulary as data: the command and option names popt knows, the
 * option bits ipvsadm checks per command (`commands_v_options`) and per tunnel type
 * (`tunnel_types_v_options`), the usage-error type, and the one legality check both tables use.
 * Pure. Written from ipvsadm 1.31's behaviour; the parser is ipvsadm-args.ts.
 */
import type { IpvsProtocol, ServiceKey } from './model.js';
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

/** A usage error while parsing; `parseIpvsadmArgs` turns it into a `UsageError` result. */
export class UsageFail extends Error {
  constructor(
    message: string,
    readonly tryHelp = false,
  ) {
    super(message);
  }
}

/** ipvsadm's default persistence timeout (IPVS_SVC_PERSISTENT_TIMEOUT, 6 min). */
export const DEFAULT_PERSISTENT_TIMEOUT = 360;
/** The largest timeout ipvsadm accepts (`-p`, `--set`): 31 days. */
export const MAX_TIMEOUT = 86400 * 31;
export const INT_MAX = 2147483647;

/** Option bits in ipvsadm's order (OPTC_*), with their names for messages. */
export const optNames = [
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
export type OptName = (typeof optNames)[number];

/** ipvsadm's command names (as its messages spell them). */
export type Cmd =
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

/** The long option that selects each command (`--clear` is the command ipvsadm calls 'flush'). */
export const commandOf: Readonly<Record<string, Cmd | 'help' | 'version'>> = {
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

/** commands_v_options over `optNames`: '+' required, 'x' illegal, '1' at most one of them, ' ' optional. */
export const legalOptions: Readonly<Record<Cmd, string>> = {
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

/** The tunnel options, in the order of `tunnel_types_v_options`. */
export const tunnelOptNames = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
/** tunnel_types_v_options over `tunnelOptNames`, by tunnel type index (ipip, gue, gre). */
export const legalTunnelOptions: readonly string[] = ['xxxx', '+111', 'x11x'];

export interface OptSpec {
  long: string;
  short?: string;
  arg: 'none' | 'required' | 'optional';
}

/** Every option popt is given, in ipvsadm's order (both `-L` and `-l` are `--list`). */
export const optSpecs: readonly OptSpec[] = [
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

/**
 * generic_opt_check / tunnel_opt_check: every option of `names` against its rule in `rules`
 * (same index); `what` ends the messages ("the 'add-service' command", "the 'gue' tunnel type").
 */
export function checkLegal(
  rules: string,
  names: readonly string[],
  seen: ReadonlySet<string>,
  what: string,
): void {
  let firstExclusive: string | undefined;
  names.forEach((o, j) => {
    const rule = rules[j];
    if (!seen.has(o)) {
      if (rule === '+') throw new UsageFail(`You need to supply the '${o}' option for ${what}`);
      return;
    }
    if (rule === 'x') throw new UsageFail(`Illegal '${o}' option with ${what}`);
    if (rule === '1') {
      if (firstExclusive === undefined) firstExclusive = o;
      else throw new UsageFail(`The option '${o}' conflicts with the '${firstExclusive}' option in ${what}`);
    }
  });
}

export function emptyList(): ListRequest {
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
