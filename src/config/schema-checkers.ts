// SPDX-License-Identifier: Apache-2.0
/**
 * Finalizes one health checker of a real server: the timing it inherits (checker -> real server ->
 * virtual server -> keepalived's per-type defaults), the probe socket options only TCP_CHECK can
 * honour, and what each checker type requires. Pure; used by schema-lvs.ts.
 */
import { Defaults } from './model.js';
import type {
  Checker,
  CheckerCommon,
  FileCheck,
  HttpCheck,
  MiscCheck,
  RealServer,
  SourceLoc,
  TrackFile,
  UdpCheck,
} from './model.js';
import type { CheckerDraft } from './keywords/checkers.js';
import { type Ctx, withUser } from './values.js';

/** `retry` and `delay_before_retry` written on the real server or virtual server, if any. */
export interface InheritedRetry {
  retry: number | undefined;
  delayBeforeRetryMs: number | undefined;
  /** The virtual server's `delay_loop`: keepalived's default `misc_timeout` (not the checker's). */
  vsDelayLoopMs?: number;
}

export function finalizeChecker(
  ctx: Ctx,
  c: CheckerDraft,
  rs: RealServer,
  inherited: InheritedRetry,
  trackFiles: TrackFile[],
): Checker | undefined {
  const common = checkerCommon(ctx, c, rs, inherited);
  switch (c.type) {
    case 'TCP_CHECK':
      return { type: 'TCP_CHECK', ...common };
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpChecker(ctx, c, c.type, rs, common);
    case 'MISC_CHECK':
      return miscChecker(ctx, c, common, inherited.vsDelayLoopMs ?? common.delayLoopMs);
    case 'DNS_CHECK':
      return { type: 'DNS_CHECK', ...common, queryType: c.queryType ?? 'SOA', name: c.name ?? '.' };
    case 'UDP_CHECK':
      return udpChecker(ctx, c, common);
    case 'FILE_CHECK':
      return fileChecker(ctx, c, common, trackFiles);
    case 'PING_CHECK':
      if (c.bindPort !== undefined)
        ctx.diags.error(c.loc, '`PING_CHECK`: `bind_port` means nothing to an ICMP echo', 'bind_port');
      return { type: 'PING_CHECK', ...common };
    case 'SMTP_CHECK':
      return { type: 'SMTP_CHECK', ...common, heloName: c.heloName ?? Defaults.smtpHeloName };
  }
}

/** The target, socket options and timing of a checker, with what it inherits resolved. */
function checkerCommon(ctx: Ctx, c: CheckerDraft, rs: RealServer, inherited: InheritedRetry): CheckerCommon {
  const delayLoopMs = c.delayLoopMs ?? rs.delayLoopMs;
  const connectPort = c.connectPort ?? rs.port;
  const needsPort = c.type !== 'MISC_CHECK' && c.type !== 'FILE_CHECK' && c.type !== 'PING_CHECK';
  if (needsPort && connectPort === 0) {
    ctx.diags.error(
      c.loc,
      `\`${c.type}\` for real_server ${rs.address} needs \`connect_port\` (the real server has no port)`,
      c.type,
    );
  }
  const typeDefaults = retryDefaults(c.type, delayLoopMs);
  const probeOpts = probeSocketOptions(ctx, c);
  return {
    connectIp: c.connectIp ?? rs.address,
    connectPort,
    connectTimeoutMs: c.connectTimeoutMs ?? rs.connectTimeoutMs,
    retry: c.retry ?? inherited.retry ?? typeDefaults.retry,
    delayBeforeRetryMs:
      c.delayBeforeRetryMs ?? inherited.delayBeforeRetryMs ?? typeDefaults.delayBeforeRetryMs,
    delayLoopMs,
    warmupMs: c.warmupMs ?? rs.warmupMs ?? delayLoopMs,
    alpha: c.alpha ?? rs.alpha,
    logAllFailures: c.logAllFailures,
    loc: c.loc,
    ...(c.bindTo !== undefined ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
    ...probeOpts,
  };
}

/** keepalived's per-type `retry` and `delay_before_retry`, when nothing above the checker sets them. */
function retryDefaults(
  type: CheckerDraft['type'],
  delayLoopMs: number,
): { retry: number; delayBeforeRetryMs: number } {
  const retry =
    type === 'DNS_CHECK' ? Defaults.retryDns : type === 'MISC_CHECK' ? Defaults.retryMisc : Defaults.retry;
  const delayBeforeRetryMs =
    type === 'HTTP_GET' || type === 'SSL_GET'
      ? Defaults.delayBeforeRetryHttpMs
      : type === 'DNS_CHECK'
        ? delayLoopMs
        : Defaults.delayBeforeRetryMs;
  return { retry, delayBeforeRetryMs };
}

/**
 * `fwmark` / `bind_if` of a checker. Only TCP_CHECK probes run on sockets lvsd opens itself (the
 * native engine sets SO_MARK / SO_BINDTODEVICE); the other checkers use Node's sockets, which
 * cannot set either, so there the options are an error (a warning with `--lenient`, and dropped).
 */
function probeSocketOptions(
  ctx: Ctx,
  c: CheckerDraft,
): Pick<CheckerCommon, 'bindIf' | 'bindIfLoc' | 'fwmark'> {
  const bindIf =
    c.bindIf !== undefined ? { bindIf: c.bindIf, ...(c.bindIfLoc ? { bindIfLoc: c.bindIfLoc } : {}) } : {};
  if (c.type === 'TCP_CHECK') return { ...bindIf, ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}) };
  // PING_CHECK's raw ICMP socket is lvsd's own: it can bind to a device (not mark, yet)
  const pingIf = c.type === 'PING_CHECK' ? bindIf : {};
  const used: Array<[string, string, SourceLoc]> = [];
  if (c.bindIf !== undefined && c.type !== 'PING_CHECK')
    used.push(['bind_if', 'SO_BINDTODEVICE', c.bindIfLoc ?? c.loc]);
  if (c.fwmark !== undefined) used.push(['fwmark', 'SO_MARK', c.fwmarkLoc ?? c.loc]);
  const noSocket = c.type === 'MISC_CHECK' || c.type === 'FILE_CHECK';
  for (const [kw, sockopt, loc] of used) {
    const why = noSocket
      ? `${c.type} opens no socket`
      : c.type === 'PING_CHECK'
        ? `lvsd's ICMP socket does not set ${sockopt}`
        : `${c.type} probes run on Node sockets, which cannot set ${sockopt}`;
    ctx.diags.add(
      ctx.lenient ? 'warning' : 'error',
      'LVSD_E_CONFIG_INVALID',
      loc,
      `\`${c.type}\`: \`${kw}\` is supported on TCP_CHECK only (${why})${ctx.lenient ? '; ignored' : ''}`,
      kw,
    );
  }
  return pingIf;
}

function httpChecker(
  ctx: Ctx,
  c: CheckerDraft,
  type: HttpCheck['type'],
  rs: RealServer,
  common: CheckerCommon,
): HttpCheck | undefined {
  if (c.urls.length === 0) {
    if (c.present.has('url')) return undefined;
    ctx.diags.error(c.loc, `\`${type}\` needs at least one \`url { path ... }\``, type);
    return undefined;
  }
  const vhost = c.virtualhost ?? rs.virtualhost;
  return {
    type,
    ...common,
    urls: c.urls,
    httpProtocol: c.httpProtocol ?? '1.0',
    enableSni: c.enableSni,
    fastRecovery: c.fastRecovery,
    ...(vhost !== undefined ? { virtualhost: vhost } : {}),
    ...(c.sniName !== undefined ? { sniName: c.sniName } : {}),
  };
}

function miscChecker(
  ctx: Ctx,
  c: CheckerDraft,
  common: CheckerCommon,
  defaultTimeoutMs: number,
): MiscCheck | undefined {
  if (!c.miscPath) {
    if (c.present.has('misc_path')) return undefined;
    ctx.diags.error(c.loc, '`MISC_CHECK` needs `misc_path`', 'MISC_CHECK');
    return undefined;
  }
  return {
    type: 'MISC_CHECK',
    ...common,
    miscPath: withUser(c.miscPath, c.user),
    miscTimeoutMs: c.miscTimeoutMs ?? defaultTimeoutMs,
    miscDynamic: c.miscDynamic,
  };
}

function udpChecker(ctx: Ctx, c: CheckerDraft, common: CheckerCommon): UdpCheck {
  const min = c.minReplyLength ?? 0;
  const max = c.maxReplyLength ?? 65507;
  if (min > max) {
    ctx.diags.error(
      c.loc,
      `\`UDP_CHECK\`: min_reply_length (${min}) is above max_reply_length (${max})`,
      'UDP_CHECK',
    );
  }
  return {
    type: 'UDP_CHECK',
    ...common,
    minReplyLength: min,
    maxReplyLength: max,
    ...(c.payload !== undefined ? { payload: c.payload } : {}),
    ...(c.requireReply !== undefined ? { requireReply: c.requireReply } : {}),
  };
}

function fileChecker(
  ctx: Ctx,
  c: CheckerDraft,
  common: CheckerCommon,
  trackFiles: TrackFile[],
): FileCheck | undefined {
  if (c.trackFile === undefined) {
    if (c.present.has('track_file')) return undefined;
    ctx.diags.error(c.loc, '`FILE_CHECK` needs `track_file NAME`', 'FILE_CHECK');
    return undefined;
  }
  if (!trackFiles.some((t) => t.name === c.trackFile)) {
    ctx.diags.error(
      c.trackFileLoc ?? c.loc,
      `\`FILE_CHECK\`: no vrrp_track_file named \`${c.trackFile}\``,
      'track_file',
    );
  }
  return {
    type: 'FILE_CHECK',
    ...common,
    trackFile: c.trackFile,
    dynamic: c.dynamic,
    weight: c.weight ?? 0,
    weightReverse: c.weightReverse,
  };
}
