// SPDX-License-Identifier: Apache-2.0
/**
 * `global_defs` keyword table and the global draft it fills. Pure.
 * Global GARP settings are kept partial here; resolveGarp (schema-vrrp.ts) resolves them with
 * keepalived's defaults.
 */
import {
  Defaults,
  type FifoSpec,
  type GarpSettings,
  type GlobalDefs,
  type LvsSyncDaemon,
  type ProcessSettings,
  type ScriptSpec,
  type SourceLoc,
} from '../model.js';
import type { AstNode } from '../parser.js';
import { parseListenAddress, type ListenAddress } from '../../core/listen.js';
import {
  type Ctx,
  type KeywordTable,
  addressValue,
  arg,
  flag,
  intArg,
  intValue,
  noExtra,
  portValue,
  runAsArgs,
  scriptArgs,
  secondsArg,
  secondsValue,
  set,
  wordArg,
} from '../values.js';
import { type NftablesDraft, nftablesKeywords } from './nftables.js';

/** The GlobalDefs fields whose defaults schema.ts fills in once all files are read. */
type DefaultedLater =
  'routerId' | 'vrrpVersion' | 'vrrpMcastGroup4' | 'vrrpMcastGroup6' | 'vrrpDownTimerAdverts';

/**
 * `global_defs` as written (all its blocks merged): GlobalDefs with the later-defaulted fields
 * optional, GARP settings partial, and the FIFO scripts apart until they join their FIFOs. The
 * e-mail settings have their own draft (keywords/smtp.ts).
 */
export type GlobalDraft = Omit<GlobalDefs, DefaultedLater | 'garp' | 'smtp' | 'lvsdBgp'> &
  Partial<Pick<GlobalDefs, DefaultedLater>> & {
    garp: Partial<GarpSettings>;
    fifoScripts: { notify?: ScriptSpec; vrrp?: ScriptSpec; lvs?: ScriptSpec };
    /** `nftables*` as written; resolved by finalizeNftables (nftables.ts). */
    nftables?: NftablesDraft;
    /** `lvsd_bgp_*` as written; resolved by finalizeBgp (schema-bgp.ts). */
    bgp: BgpDraft;
  };

/** The `lvsd_bgp_*` keywords as written (each with where it was written). */
export interface BgpDraft {
  table?: { value: number; loc: SourceLoc };
  withdrawGraceMs?: { value: number; loc: SourceLoc };
  birdSocket?: { value: string; loc: SourceLoc };
}

export function newGlobalDraft(): GlobalDraft {
  return {
    garp: {},
    bgp: {},
    enableScriptSecurity: false,
    fifoScripts: {},
    lvsFlush: false,
    lvsFlushOnStop: 'none',
    vrrpStrict: false,
    vrrpCheckUnicastSrc: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpLowerPrioNoAdvert: false,
    vrrpHigherPrioSendAdvert: false,
    vrrpStartupDelayMs: 0,
    vrrpOwnerIgnoreAdverts: false,
    vrrpNotifyPriorityChanges: false,
  };
}

function fifo(ctx: Ctx, node: AstNode): FifoSpec | undefined {
  const t = arg(ctx, node, 0, 'a FIFO path');
  if (!t) return undefined;
  if (!t.text.startsWith('/')) {
    ctx.diags.error(t.loc, `\`${node.keyword}\` needs an absolute path (got ${t.text})`, node.keyword);
    return undefined;
  }
  noExtra(ctx, node, 3);
  return { path: t.text, loc: node.loc };
}

/**
 * `*_no_swap` asks for mlockall, which a Node process cannot survive: V8 hands heap pages back to
 * the kernel with madvise(MADV_DONTNEED), the kernel refuses that on locked memory, and V8 aborts
 * (measured: at the first GC that returns memory, or at exit). Refused with the reason (a warning,
 * ignored, with --lenient).
 */
function refuseNoSwap(ctx: Ctx, node: AstNode): void {
  ctx.diags.add(
    ctx.lenient ? 'warning' : 'error',
    'LVSD_E_CONFIG_INVALID',
    node.loc,
    `\`${node.keyword}\` cannot be carried out by lvsd: locking a Node process's memory (mlockall) makes V8 abort when it returns memory to the kernel; realtime scheduling (${node.keyword.replace('_no_swap', '_rt_priority')}) is what keeps the worker on time${ctx.lenient ? ' (ignored)' : ''}`,
    node.keyword,
  );
}

/**
 * An RLIMIT_RTTIME below this is a warning: keepalived's 10 ms killed the VRRP worker in a mass
 * takeover (200 instances), and one instance on a saturated machine (bench/results/realtime.md).
 * Half lvsd's default.
 */
const RTTIME_WARN_BELOW_US = Defaults.rlimitRttimeUs / 2;

/**
 * `PREFIX_priority`, `PREFIX_rt_priority`, `PREFIX_rlimit_rttime` (and its older spelling
 * `PREFIX_rlimit_rtime`), as keepalived reads them, but a realtime priority outside 1..99 is an error
 * here where keepalived clamps it; `PREFIX_no_swap` is refused (refuseNoSwap).
 */
function processKeywords(
  prefix: 'vrrp' | 'checker',
  field: 'vrrpProcess' | 'checkerProcess',
): KeywordTable<GlobalDraft> {
  const of = (g: GlobalDraft): ProcessSettings => (g[field] ??= {});
  const rttime = {
    run: (c: Ctx, n: AstNode, g: GlobalDraft) => {
      // keepalived: 1 counts as 2 (half of it is the warning threshold, which must not be 0)
      const us = intArg(c, n, 1, 0xffffffff);
      set(of(g), 'rlimitRttimeUs', us === undefined ? undefined : Math.max(2, us));
      if (us !== undefined && us < RTTIME_WARN_BELOW_US)
        c.diags.warning(
          n.args[0]?.loc ?? n.loc,
          `\`${n.keyword} ${us}\`: a Node worker runs longer than this without blocking (10–20 ms in a takeover of 200 VRRP instances, bench/results/realtime.md), and the kernel kills it at the limit; lvsd's default is ${Defaults.rlimitRttimeUs} µs`,
          n.keyword,
        );
    },
  };
  return {
    [`${prefix}_priority`]: { run: (c, n, g) => set(of(g), 'nice', intArg(c, n, -20, 19)) },
    [`${prefix}_rt_priority`]: { run: (c, n, g) => set(of(g), 'rtPriority', intArg(c, n, 1, 99)) },
    [`${prefix}_no_swap`]: { run: (c, n) => refuseNoSwap(c, n) },
    [`${prefix}_rlimit_rttime`]: rttime,
    [`${prefix}_rlimit_rtime`]: rttime,
  };
}

/** Integer counts and seconds shared by the global `vrrp_garp_*` and per-instance `garp_*` keys. */
export function garpKeywords<T extends { garp: Partial<GarpSettings> }>(prefix: string): KeywordTable<T> {
  return {
    [`${prefix}garp_master_repeat`]: { run: (c, n, g) => set(g.garp, 'masterRepeat', intArg(c, n, 1, 255)) },
    [`${prefix}garp_master_delay`]: {
      run: (c, n, g) => set(g.garp, 'masterDelayMs', secondsArg(c, n, 0, 255)),
    },
    [`${prefix}garp_master_refresh`]: {
      run: (c, n, g) => set(g.garp, 'masterRefreshMs', secondsArg(c, n, 0, 86400)),
    },
    [`${prefix}garp_master_refresh_repeat`]: {
      run: (c, n, g) => set(g.garp, 'masterRefreshRepeat', intArg(c, n, 1, 255)),
    },
    [`${prefix}garp_lower_prio_repeat`]: {
      run: (c, n, g) => set(g.garp, 'lowerPrioRepeat', intArg(c, n, 0, 255)),
    },
    [`${prefix}garp_lower_prio_delay`]: {
      run: (c, n, g) => set(g.garp, 'lowerPrioDelayMs', secondsArg(c, n, 0, 255)),
    },
    [`${prefix}garp_interval`]: { run: (c, n, g) => set(g.garp, 'garpIntervalMs', secondsArg(c, n, 0, 1)) },
    [`${prefix}gna_interval`]: { run: (c, n, g) => set(g.garp, 'gnaIntervalMs', secondsArg(c, n, 0, 1)) },
  };
}

export const globalKeywords: KeywordTable<GlobalDraft> = {
  router_id: { run: (c, n, g) => set(g, 'routerId', wordArg(c, n, 'a name')) },
  vrrp_version: {
    run: (c, n, g) => {
      const v = intArg(c, n, 2, 3);
      if (v === 2 || v === 3) g.vrrpVersion = v;
    },
  },
  vrrp_mcast_group4: {
    run: (c, n, g) => {
      const t = arg(c, n, 0, 'an IPv4 multicast address');
      noExtra(c, n, 1);
      const a = t ? addressValue(c, n.keyword, t) : undefined;
      if (t && a && (a.family !== 'inet' || !a.address.match(/^2(2[4-9]|3\d)\./))) {
        c.diags.error(
          t.loc,
          `\`vrrp_mcast_group4\` needs an IPv4 multicast address (got ${t.text})`,
          n.keyword,
        );
      } else if (a) g.vrrpMcastGroup4 = a.address;
    },
  },
  vrrp_mcast_group6: {
    run: (c, n, g) => {
      const t = arg(c, n, 0, 'an IPv6 multicast address');
      noExtra(c, n, 1);
      const a = t ? addressValue(c, n.keyword, t) : undefined;
      if (t && a && (a.family !== 'inet6' || !a.address.startsWith('ff'))) {
        c.diags.error(
          t.loc,
          `\`vrrp_mcast_group6\` needs an IPv6 multicast address (got ${t.text})`,
          n.keyword,
        );
      } else if (a) g.vrrpMcastGroup6 = a.address;
    },
  },
  ...garpKeywords<GlobalDraft>('vrrp_'),
  script_user: { run: (c, n, g) => set(g, 'scriptUser', runAsArgs(c, n)) },
  enable_script_security: { run: (c, n, g) => (g.enableScriptSecurity = flag(c, n)) },
  notify_fifo: { run: (c, n, g) => set(g, 'notifyFifo', fifo(c, n)) },
  vrrp_notify_fifo: { run: (c, n, g) => set(g, 'vrrpNotifyFifo', fifo(c, n)) },
  lvs_notify_fifo: { run: (c, n, g) => set(g, 'lvsNotifyFifo', fifo(c, n)) },
  notify_fifo_script: { run: (c, n, g) => set(g.fifoScripts, 'notify', scriptArgs(c, n)) },
  vrrp_notify_fifo_script: { run: (c, n, g) => set(g.fifoScripts, 'vrrp', scriptArgs(c, n)) },
  lvs_notify_fifo_script: { run: (c, n, g) => set(g.fifoScripts, 'lvs', scriptArgs(c, n)) },
  lvs_sync_daemon: { run: (c, n, g) => set(g, 'lvsSyncDaemon', syncDaemon(c, n)) },
  lvs_timeouts: { run: (c, n, g) => set(g, 'lvsTimeouts', lvsTimeouts(c, n)) },
  lvs_flush: { run: (c, n, g) => (g.lvsFlush = flag(c, n)) },
  lvs_flush_on_stop: { run: (c, n, g) => flushOnStop(c, n, g) },
  // keepalived's spelling before v2.1.5.
  lvs_flush_onstop: { run: (c, n, g) => flushOnStop(c, n, g) },

  vrrp_strict: { run: (c, n, g) => (g.vrrpStrict = flag(c, n)) },
  vrrp_check_unicast_src: { run: (c, n, g) => (g.vrrpCheckUnicastSrc = flag(c, n)) },
  vrrp_skip_check_adv_addr: { run: (c, n, g) => (g.vrrpSkipCheckAdvAddr = flag(c, n)) },
  vrrp_lower_prio_no_advert: { run: (c, n, g) => (g.vrrpLowerPrioNoAdvert = boolish(c, n)) },
  vrrp_higher_prio_send_advert: { run: (c, n, g) => (g.vrrpHigherPrioSendAdvert = boolish(c, n)) },
  vrrp_startup_delay: { run: (c, n, g) => set(g, 'vrrpStartupDelayMs', secondsArg(c, n, 0, 3600)) },
  vrrp_down_timer_adverts: { run: (c, n, g) => set(g, 'vrrpDownTimerAdverts', intArg(c, n, 1, 100)) },
  vrrp_owner_ignore_adverts: { run: (c, n, g) => (g.vrrpOwnerIgnoreAdverts = boolish(c, n)) },
  vrrp_notify_priority_changes: { run: (c, n, g) => (g.vrrpNotifyPriorityChanges = boolish(c, n)) },
  process_monitor_rcv_bufs: {
    run: (c, n, g) => {
      const bytes = intArg(c, n, 0, 2147483647);
      if (bytes !== undefined) g.processMonitorRcvBufs = { force: false, ...g.processMonitorRcvBufs, bytes };
    },
  },
  process_monitor_rcv_bufs_force: {
    run: (c, n, g) => (g.processMonitorRcvBufs = { ...g.processMonitorRcvBufs, force: boolish(c, n) }),
  },
  // Applied (and its words checked) while the files are read, by the lexer (include.ts): it governs
  // the includes after it, so it cannot wait for the model.
  include_check: { run: () => undefined },
  // lvsd's own (not keepalived's): where the supervisor serves Prometheus metrics
  ...processKeywords('vrrp', 'vrrpProcess'),
  ...processKeywords('checker', 'checkerProcess'),
  lvsd_metrics: { run: (c, n, g) => set(g, 'lvsdMetrics', listenArg(c, n)) },
  // lvsd's own: announcing VIPs over BGP (schema-bgp.ts) and IPVS's sloppy modes
  lvsd_bgp_table: { run: (c, n, g) => located(g.bgp, 'table', n, routingTableArg(c, n)) },
  lvsd_bgp_withdraw_grace: {
    run: (c, n, g) => located(g.bgp, 'withdrawGraceMs', n, secondsArg(c, n, 0, 60)),
  },
  lvsd_bgp_bird_socket: { run: (c, n, g) => located(g.bgp, 'birdSocket', n, absolutePathArg(c, n)) },
  lvsd_sloppy_tcp: {
    run: (c, n, g) => (g.lvsdSloppy = { tcp: flag(c, n), sctp: g.lvsdSloppy?.sctp ?? false }),
  },
  lvsd_sloppy_sctp: {
    run: (c, n, g) => (g.lvsdSloppy = { tcp: g.lvsdSloppy?.tcp ?? false, sctp: flag(c, n) }),
  },
  ...nftablesKeywords,
};

function located<K extends keyof BgpDraft>(
  d: BgpDraft,
  key: K,
  n: AstNode,
  value: NonNullable<BgpDraft[K]>['value'] | undefined,
): void {
  if (value !== undefined) d[key] = { value, loc: n.loc } as BgpDraft[K];
}

/** A kernel routing table number: 1..2^32-1 but the kernel's own (253 default, 254 main, 255 local). */
function routingTableArg(c: Ctx, n: AstNode): number | undefined {
  const v = intArg(c, n, 1, 4294967295);
  if (v === undefined) return undefined;
  if (v >= 253 && v <= 255) {
    const t = n.args[0] ?? n;
    c.diags.error(
      t.loc,
      `\`${n.keyword}\` must not be a table the kernel uses (253 default, 254 main, 255 local; got ${v})`,
      n.keyword,
    );
    return undefined;
  }
  return v;
}

function absolutePathArg(c: Ctx, n: AstNode): string | undefined {
  const t = arg(c, n, 0, 'an absolute path');
  noExtra(c, n, 1);
  if (!t) return undefined;
  if (t.text.startsWith('/')) return t.text;
  c.diags.error(t.loc, `\`${n.keyword}\` needs an absolute path (got ${t.text})`, n.keyword);
  return undefined;
}

/** `ADDR:PORT` or `[IPv6]:PORT`. */
function listenArg(c: Ctx, n: AstNode): ListenAddress | undefined {
  const t = arg(c, n, 0, 'ADDRESS:PORT');
  noExtra(c, n, 1);
  if (!t) return undefined;
  const a = parseListenAddress(t.text);
  if ('error' in a) {
    c.diags.error(t.loc, `\`${n.keyword}\` ${a.error}`, n.keyword);
    return undefined;
  }
  return a;
}

function flushOnStop(c: Ctx, n: AstNode, g: GlobalDraft): void {
  const t = n.args[0];
  noExtra(c, n, 1);
  if (!t) g.lvsFlushOnStop = 'all';
  else if (t.text === 'VS') g.lvsFlushOnStop = 'vs';
  else c.diags.error(t.loc, `\`lvs_flush_on_stop\` takes no value or VS (got ${t.text})`, n.keyword);
}

/** A flag that also accepts an explicit `true`/`false` (keepalived allows both forms for some). */
export function boolish(ctx: Ctx, node: AstNode): boolean {
  const t = node.args[0];
  noExtra(ctx, node, 1);
  if (!t) return true;
  const v = t.text.toLowerCase();
  if (v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === 'false' || v === 'off' || v === 'no') return false;
  ctx.diags.error(t.loc, `\`${node.keyword}\` takes no value, true or false (got ${t.text})`, node.keyword);
  return true;
}

function syncDaemon(ctx: Ctx, node: AstNode): LvsSyncDaemon | undefined {
  const ifTok = arg(ctx, node, 0, 'an interface name');
  if (!ifTok) return undefined;
  const sd: LvsSyncDaemon = { interface: ifTok.text, loc: node.loc };
  const a = node.args;
  let i = 1;
  // `lvs_sync_daemon IF [VI_NAME] [id N] [maxlen N] [port N] [ttl N] [group IP]`
  const first = a[1];
  if (first && !['id', 'maxlen', 'port', 'ttl', 'group', 'inst'].includes(first.text)) {
    sd.instance = first.text;
    i = 2;
  }
  while (i < a.length) {
    const k = a[i];
    const v = a[i + 1];
    if (!k) break;
    if (!v) {
      ctx.diags.error(k.loc, `\`lvs_sync_daemon\`: \`${k.text}\` needs a value`, node.keyword);
      break;
    }
    switch (k.text) {
      case 'inst':
        sd.instance = v.text;
        break;
      case 'id':
        set(sd, 'syncId', intValue(ctx, 'lvs_sync_daemon id', v, 0, 255));
        break;
      case 'maxlen':
        set(sd, 'maxLen', intValue(ctx, 'lvs_sync_daemon maxlen', v, 1, 65507));
        break;
      case 'port':
        set(sd, 'port', portValue(ctx, 'lvs_sync_daemon port', v, 1));
        break;
      case 'ttl':
        set(sd, 'ttl', intValue(ctx, 'lvs_sync_daemon ttl', v, 1, 255));
        break;
      case 'group': {
        const g = addressValue(ctx, 'lvs_sync_daemon group', v);
        if (g) sd.group = g.address;
        break;
      }
      default:
        ctx.diags.error(
          k.loc,
          `\`lvs_sync_daemon\`: unknown option \`${k.text}\` (expected inst, id, maxlen, port, ttl or group)`,
          node.keyword,
        );
    }
    i += 2;
  }
  return sd;
}

function lvsTimeouts(ctx: Ctx, node: AstNode): { tcpMs?: number; tcpFinMs?: number; udpMs?: number } {
  const out: { tcpMs?: number; tcpFinMs?: number; udpMs?: number } = {};
  const a = node.args;
  if (a.length === 0)
    ctx.diags.error(node.loc, '`lvs_timeouts` needs tcp, tcpfin and/or udp values', node.keyword);
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i];
    const v = a[i + 1];
    if (!k) break;
    if (!v) {
      ctx.diags.error(k.loc, `\`lvs_timeouts\`: \`${k.text}\` needs a number of seconds`, node.keyword);
      break;
    }
    const ms = secondsValue(ctx, `lvs_timeouts ${k.text}`, v, 1, 31536000);
    if (k.text === 'tcp') set(out, 'tcpMs', ms);
    else if (k.text === 'tcpfin') set(out, 'tcpFinMs', ms);
    else if (k.text === 'udp') set(out, 'udpMs', ms);
    else
      ctx.diags.error(
        k.loc,
        `\`lvs_timeouts\`: unknown timeout \`${k.text}\` (expected tcp, tcpfin or udp)`,
        node.keyword,
      );
  }
  return out;
}

/** keepalived `global_defs` keywords that lvsd does not implement. */
export const globalUnsupported: ReadonlySet<string> = new Set([
  'checker_log_all_failures',
  'vrrp_min_garp',
  'vrrp_garp_extra_if',
  'dynamic_interfaces',
  'vrrp_delay_after_boot',
  'reload_check_config',
  'reload_time_file',
  'reload_repeat',
  'reload_file',
  'config_save_dir',
  'data_use_instance',
  'state_file_location',
  'stats_file_location',
  'json_file_location',
  'json_version',
  'tmp_config_directory',
  'enable_snmp_vrrp',
  'enable_snmp_keepalived',
  'enable_snmp_checker',
  'enable_snmp_rfc',
  'enable_snmp_rfcv2',
  'enable_snmp_rfcv3',
  'enable_traps',
  'snmp_socket',
  'enable_dbus',
  'dbus_service_name',
  'net_namespace',
  'net_namespace_ipvs',
  'namespace_with_ipsets',
  'instance',
  'startup_script',
  'startup_script_timeout',
  'shutdown_script',
  'shutdown_script_timeout',
  'nftables_ipvs',
  'bfd_priority',
  'bfd_rt_priority',
  'bfd_no_swap',
  'vrrp_cpu_affinity',
  'checker_cpu_affinity',
  'bfd_cpu_affinity',
  'bfd_rlimit_rttime',
  'vrrp_rx_bufs_policy',
  'vrrp_rx_bufs_multiplier',
  'max_auto_priority',
  'min_auto_priority_delay',
  'linkbeat_use_polling',
  'linkbeat_interfaces',
  'vmac_prefix',
  'vmac_addr_prefix',
  'vrrp_netlink_cmd_rcv_bufs',
  'vrrp_netlink_cmd_rcv_bufs_force',
  'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force',
  'lvs_netlink_cmd_rcv_bufs',
  'lvs_netlink_cmd_rcv_bufs_force',
  'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force',
  'vrrp_garp_lower_prio_delay_ms',
  'fifo_write_vrrp_states_on_reload',
  'vrrp_startup_delay_ms',
  'disable_local_igmp',
  'random_seed',
  'umask',
  'use_pid_dir',
  'child_wait_time',
  'vrrp_log_unknown_vrids',
  'bfd_instance',
  'local_name',
  'script_security',
  'process_names',
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'bfd_process_name',
  'mem_check',
  'mem_check_log',
  'rs_init_notifies',
  'dbus_no_interface_name',
  'default_interface',
  'iproute_etc_dir',
  'iproute_usr_dir',
  'nftables_ipvs_priority',
  'nftables_ipvs_start_fwmark',
  'set_supplementary_groups',
  'snmp_name',
  'snmp_rs_stats_update_interval',
  'snmp_vs_stats_update_interval',
  'use_symlink_paths',
  'bfd_rlimit_rtime',
  'json_dump_file',
  'state_dump_file',
  'stats_dump_file',
  'lvs_process_name',
  'thread_timer_expired',
  'vrrp_vmac_garp_intvl',
  'log_unknown_vrids',
]);
