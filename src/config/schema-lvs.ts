// SPDX-License-Identifier: Apache-2.0
/**
 * Finalizes virtual servers: keepalived defaults, VS -> RS -> checker inheritance, families,
 * sorry server, persistence granularity, and the LVS conflicts (duplicate virtual server, duplicate
 * real, unknown group or track file). Pure.
 */
import ipaddr from 'ipaddr.js';
import type { IpFamily, IpvsProtocol } from '../ipvs/model.js';
import { Defaults } from './model.js';
import type {
  Checker,
  LvsMethod,
  RealServer,
  SorryServer,
  TrackFile,
  VirtualServer,
  VirtualServerGroup,
  VsKey,
} from './model.js';
import type { CheckerDraft } from './keywords/checkers.js';
import type { RsDraft, VsDraft, VsgDraft } from './keywords/virtual-server.js';
import { type Ctx, familyName } from './values.js';

export function finalizeLvs(
  ctx: Ctx,
  vsgs: VsgDraft[],
  vss: VsDraft[],
  trackFiles: TrackFile[],
): { groups: VirtualServerGroup[]; servers: VirtualServer[] } {
  const groups: VirtualServerGroup[] = vsgs.map((g) => {
    if (g.entries.length === 0 && g.written === 0) {
      ctx.diags.error(g.loc, `virtual_server_group \`${g.name}\` is empty`, 'virtual_server_group');
    }
    return { name: g.name, entries: g.entries, loc: g.loc };
  });
  const byName = new Map(groups.map((g) => [g.name, g]));
  const servers: VirtualServer[] = [];
  const seen = new Map<string, VirtualServer>();
  for (const d of vss) {
    const vs = finalizeVs(ctx, d, byName, trackFiles);
    if (!vs) continue;
    const id = keyId(vs.key);
    const prev = seen.get(id);
    if (prev) {
      ctx.diags.error(
        vs.loc,
        `duplicate virtual_server ${describe(vs.key)} (first defined at ${prev.loc.file}:${prev.loc.line}:${prev.loc.col})`,
        'virtual_server',
      );
      continue;
    }
    seen.set(id, vs);
    servers.push(vs);
  }
  return { groups, servers };
}

function keyId(k: VsKey): string {
  switch (k.kind) {
    case 'addr':
      return `addr|${k.protocol}|${k.family}|${k.address}|${k.port}`;
    case 'fwmark':
      return `fwmark|${k.family}|${k.fwmark}`;
    case 'group':
      return `group|${k.protocol}|${k.family}|${k.name}`;
  }
}

export function describe(k: VsKey): string {
  switch (k.kind) {
    case 'addr':
      return `${k.protocol.toUpperCase()} ${k.family === 'inet6' ? `[${k.address}]` : k.address}:${k.port}`;
    case 'fwmark':
      return `fwmark ${k.fwmark}${k.family === 'inet6' ? ' (IPv6)' : ''}`;
    case 'group':
      return `group ${k.name}`;
  }
}

function finalizeVs(
  ctx: Ctx,
  d: VsDraft,
  groups: Map<string, VirtualServerGroup>,
  trackFiles: TrackFile[],
): VirtualServer | undefined {
  const protocol: IpvsProtocol = d.protocol ?? 'tcp';
  let key: VsKey;
  let port = 0;
  const h = d.header;
  if (h.kind === 'addr') {
    if (d.ipFamily && d.ipFamily !== h.family) {
      ctx.diags.error(
        d.loc,
        `virtual_server ${h.address}: \`ip_family ${d.ipFamily}\` does not match the ${familyName(h.family)} address`,
        'ip_family',
      );
    }
    if (h.port === undefined && d.persistenceTimeoutMs === undefined) {
      ctx.diags.error(
        d.loc,
        `virtual_server ${h.address} without a port needs \`persistence_timeout\``,
        'virtual_server',
      );
    }
    port = h.port ?? 0;
    key = { kind: 'addr', family: h.family, protocol, address: h.address, port };
  } else if (h.kind === 'fwmark') {
    key = { kind: 'fwmark', family: d.ipFamily ?? 'inet', fwmark: h.fwmark };
  } else {
    const g = groups.get(h.name);
    if (!g) {
      ctx.diags.error(
        d.loc,
        `virtual_server group: no virtual_server_group named \`${h.name}\``,
        'virtual_server',
      );
      return undefined;
    }
    const fam = d.ipFamily ?? g.entries[0]?.family ?? 'inet';
    for (const e of g.entries) {
      if (e.family !== fam) {
        ctx.diags.error(
          e.loc,
          `virtual_server_group \`${g.name}\`: ${familyName(e.family)} entry in an ${familyName(fam)} virtual server`,
          'virtual_server_group',
        );
        break;
      }
    }
    port = g.entries.find((e) => e.kind === 'addr')?.port ?? 0;
    key = { kind: 'group', name: h.name, family: fam, protocol };
  }
  const family = key.family;
  const method: LvsMethod = d.method ?? { method: 'NAT' };
  const delayLoopMs = d.delayLoopMs ?? Defaults.delayLoopMs;
  const vs: VirtualServer = {
    key,
    scheduler: d.scheduler ?? Defaults.scheduler,
    flags: d.flags,
    method,
    quorum: d.quorum ?? Defaults.quorum,
    hysteresis: d.hysteresis ?? 0,
    delayLoopMs,
    alpha: d.alpha ?? false,
    omega: d.omega,
    haSuspend: d.haSuspend,
    warmupMs: d.warmupMs ?? 0,
    connectTimeoutMs: d.connectTimeoutMs ?? Defaults.connectTimeoutMs,
    inhibitOnFailure: d.inhibitOnFailure ?? false,
    realServers: [],
    loc: d.loc,
  };
  if (d.persistenceTimeoutMs !== undefined) vs.persistenceTimeoutMs = d.persistenceTimeoutMs;
  if (d.persistenceEngine !== undefined) vs.persistenceEngine = d.persistenceEngine;
  if (d.retry !== undefined) vs.retry = d.retry;
  if (d.delayBeforeRetryMs !== undefined) vs.delayBeforeRetryMs = d.delayBeforeRetryMs;
  if (d.virtualhost !== undefined) vs.virtualhost = d.virtualhost;
  if (d.quorumUp) vs.quorumUp = d.quorumUp;
  if (d.quorumDown) vs.quorumDown = d.quorumDown;
  if (d.persistenceGranularity) {
    const g = granularity(ctx, d.persistenceGranularity, family);
    if (g !== undefined) vs.persistenceGranularity = g;
    if (d.persistenceTimeoutMs === undefined) {
      ctx.diags.warning(
        d.persistenceGranularity.loc,
        '`persistence_granularity` has no effect without `persistence_timeout`',
        'persistence_granularity',
      );
    }
  }
  if (d.hysteresis !== undefined && d.hysteresis >= vs.quorum) {
    ctx.diags.error(
      d.hysteresisLoc ?? d.loc,
      `virtual_server ${describe(key)}: \`hysteresis\` (${d.hysteresis}) must be below \`quorum\` (${vs.quorum})`,
      'hysteresis',
    );
  }
  if (d.sorry) {
    const sm = d.sorryMethod ?? method;
    if (d.sorry.family !== family && sm.method !== 'TUN') {
      ctx.diags.error(
        d.sorry.loc,
        `\`sorry_server\` ${d.sorry.address} is ${familyName(d.sorry.family)} but the virtual server is ${familyName(family)}`,
        'sorry_server',
      );
    }
    const sorry: SorryServer = {
      family: d.sorry.family,
      address: d.sorry.address,
      port: d.sorry.port ?? port,
      inhibit: d.sorryInhibit,
      method: sm,
      loc: d.sorry.loc,
    };
    vs.sorryServer = sorry;
  } else if (d.sorryInhibit || d.sorryMethod) {
    ctx.diags.warning(
      d.loc,
      `virtual_server ${describe(key)}: sorry_server options without \`sorry_server\``,
      'sorry_server',
    );
  }
  const seen = new Map<string, RealServer>();
  for (const r of d.reals) {
    const rs = finalizeReal(ctx, r, d, vs, port, trackFiles);
    if (!rs) continue;
    const id = `${rs.address}|${rs.port}`;
    const prev = seen.get(id);
    if (prev) {
      ctx.diags.error(
        rs.loc,
        `duplicate real_server ${rs.address} port ${rs.port} in virtual_server ${describe(key)} (first at line ${prev.loc.line})`,
        'real_server',
      );
      continue;
    }
    seen.set(id, rs);
    vs.realServers.push(rs);
  }
  return vs;
}

function granularity(
  ctx: Ctx,
  g: { text: string; loc: VsDraft['loc'] },
  family: IpFamily,
): string | number | undefined {
  if (family === 'inet') {
    if (
      ipaddr.IPv4.isValidFourPartDecimal(g.text) &&
      ipaddr.IPv4.parse(g.text).prefixLengthFromSubnetMask() !== null
    ) {
      return g.text;
    }
    ctx.diags.error(
      g.loc,
      `\`persistence_granularity\` must be an IPv4 netmask such as 255.255.255.0 (got ${g.text})`,
      'persistence_granularity',
    );
    return undefined;
  }
  if (/^\d+$/.test(g.text) && Number(g.text) >= 1 && Number(g.text) <= 128) return Number(g.text);
  ctx.diags.error(
    g.loc,
    `\`persistence_granularity\` must be a prefix length 1..128 for IPv6 (got ${g.text})`,
    'persistence_granularity',
  );
  return undefined;
}

function finalizeReal(
  ctx: Ctx,
  r: RsDraft,
  d: VsDraft,
  vs: VirtualServer,
  vsPort: number,
  trackFiles: TrackFile[],
): RealServer | undefined {
  const method = r.method ?? vs.method;
  if (r.family !== vs.key.family && method.method !== 'TUN') {
    ctx.diags.error(
      r.loc,
      `real_server ${r.address} is ${familyName(r.family)} but virtual_server ${describe(vs.key)} is ${familyName(vs.key.family)} (only TUN may mix families)`,
      'real_server',
    );
    return undefined;
  }
  if (method.method === 'DR' && r.port !== undefined && vsPort !== 0 && r.port !== vsPort) {
    ctx.diags.warning(
      r.loc,
      `real_server ${r.address}: DR cannot change the port (${vsPort} -> ${r.port}); the kernel uses ${vsPort}`,
      'real_server',
    );
  }
  const port = r.port ?? vsPort;
  const rs: RealServer = {
    family: r.family,
    address: r.address,
    port,
    weight: r.weight ?? Defaults.weight,
    method,
    upperThreshold: r.upperThreshold ?? 0,
    lowerThreshold: r.lowerThreshold ?? 0,
    inhibitOnFailure: r.inhibitOnFailure ?? vs.inhibitOnFailure,
    alpha: r.alpha ?? vs.alpha,
    delayLoopMs: r.delayLoopMs ?? vs.delayLoopMs,
    connectTimeoutMs: r.connectTimeoutMs ?? vs.connectTimeoutMs,
    warmupMs: r.warmupMs ?? vs.warmupMs,
    checkers: [],
    loc: r.loc,
  };
  if (rs.upperThreshold && rs.lowerThreshold > rs.upperThreshold) {
    ctx.diags.error(
      r.loc,
      `real_server ${r.address}: \`lthreshold\` (${rs.lowerThreshold}) is above \`uthreshold\` (${rs.upperThreshold})`,
      'lthreshold',
    );
  }
  if (r.notifyUp) rs.notifyUp = r.notifyUp;
  if (r.notifyDown) rs.notifyDown = r.notifyDown;
  const vhost = r.virtualhost ?? d.virtualhost;
  if (vhost !== undefined) rs.virtualhost = vhost;
  const retry = r.retry ?? d.retry;
  const dbr = r.delayBeforeRetryMs ?? d.delayBeforeRetryMs;
  for (const c of r.checkers) {
    const ck = finalizeChecker(ctx, c, rs, retry, dbr, trackFiles);
    if (ck) rs.checkers.push(ck);
  }
  return rs;
}

/**
 * `fwmark` / `bind_if` of a checker. Only TCP_CHECK probes run on sockets lvsd opens itself (the
 * native engine sets SO_MARK / SO_BINDTODEVICE); the other checkers use Node's sockets, which
 * cannot set either, so there the options are an error (a warning with `--lenient`, and dropped).
 */
function probeSocketOptions(ctx: Ctx, c: CheckerDraft): { bindIf?: string; fwmark?: number } {
  if (c.type === 'TCP_CHECK') {
    return {
      ...(c.bindIf !== undefined ? { bindIf: c.bindIf } : {}),
      ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}),
    };
  }
  const used: Array<[string, string]> = [];
  if (c.bindIf !== undefined) used.push(['bind_if', 'SO_BINDTODEVICE']);
  if (c.fwmark !== undefined) used.push(['fwmark', 'SO_MARK']);
  const noSocket = c.type === 'MISC_CHECK' || c.type === 'FILE_CHECK';
  for (const [kw, sockopt] of used) {
    const why = noSocket
      ? `${c.type} opens no socket`
      : `${c.type} probes run on Node sockets, which cannot set ${sockopt}`;
    ctx.diags.add(
      ctx.lenient ? 'warning' : 'error',
      'LVSD_E_CONFIG_INVALID',
      c.loc,
      `\`${c.type}\`: \`${kw}\` is supported on TCP_CHECK only (${why})${ctx.lenient ? '; ignored' : ''}`,
      kw,
    );
  }
  return {};
}

function finalizeChecker(
  ctx: Ctx,
  c: CheckerDraft,
  rs: RealServer,
  retry: number | undefined,
  dbr: number | undefined,
  trackFiles: TrackFile[],
): Checker | undefined {
  const delayLoopMs = c.delayLoopMs ?? rs.delayLoopMs;
  const connectPort = c.connectPort ?? rs.port;
  const needsPort = c.type !== 'MISC_CHECK' && c.type !== 'FILE_CHECK';
  if (needsPort && connectPort === 0) {
    ctx.diags.error(
      c.loc,
      `\`${c.type}\` for real_server ${rs.address} needs \`connect_port\` (the real server has no port)`,
      c.type,
    );
  }
  const typeRetry =
    c.type === 'DNS_CHECK'
      ? Defaults.retryDns
      : c.type === 'MISC_CHECK'
        ? Defaults.retryMisc
        : Defaults.retry;
  const typeDbr =
    c.type === 'HTTP_GET' || c.type === 'SSL_GET'
      ? Defaults.delayBeforeRetryHttpMs
      : c.type === 'DNS_CHECK'
        ? delayLoopMs
        : Defaults.delayBeforeRetryMs;
  const probeOpts = probeSocketOptions(ctx, c);
  const common = {
    connectIp: c.connectIp ?? rs.address,
    connectPort,
    connectTimeoutMs: c.connectTimeoutMs ?? rs.connectTimeoutMs,
    retry: c.retry ?? retry ?? typeRetry,
    delayBeforeRetryMs: c.delayBeforeRetryMs ?? dbr ?? typeDbr,
    delayLoopMs,
    warmupMs: c.warmupMs ?? rs.warmupMs,
    alpha: c.alpha ?? rs.alpha,
    logAllFailures: c.logAllFailures,
    loc: c.loc,
    ...(c.bindTo !== undefined ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
    ...probeOpts,
  };
  switch (c.type) {
    case 'TCP_CHECK':
      return { type: 'TCP_CHECK', ...common };
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (c.urls.length === 0) {
        if (c.present.has('url')) return undefined;
        ctx.diags.error(c.loc, `\`${c.type}\` needs at least one \`url { path ... }\``, c.type);
        return undefined;
      }
      const vhost = c.virtualhost ?? rs.virtualhost;
      return {
        type: c.type,
        ...common,
        urls: c.urls,
        httpProtocol: c.httpProtocol ?? '1.0',
        enableSni: c.enableSni,
        fastRecovery: c.fastRecovery,
        ...(vhost !== undefined ? { virtualhost: vhost } : {}),
        ...(c.sniName !== undefined ? { sniName: c.sniName } : {}),
      };
    }
    case 'MISC_CHECK': {
      if (!c.miscPath) {
        if (c.present.has('misc_path')) return undefined;
        ctx.diags.error(c.loc, '`MISC_CHECK` needs `misc_path`', 'MISC_CHECK');
        return undefined;
      }
      const miscPath = { ...c.miscPath };
      if (c.user && miscPath.user === undefined) {
        miscPath.user = c.user.user;
        if (c.user.group !== undefined) miscPath.group = c.user.group;
      }
      return {
        type: 'MISC_CHECK',
        ...common,
        miscPath,
        miscTimeoutMs: c.miscTimeoutMs ?? delayLoopMs,
        miscDynamic: c.miscDynamic,
      };
    }
    case 'DNS_CHECK':
      return { type: 'DNS_CHECK', ...common, queryType: c.queryType ?? 'SOA', name: c.name ?? '.' };
    case 'UDP_CHECK': {
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
    case 'FILE_CHECK': {
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
  }
}
