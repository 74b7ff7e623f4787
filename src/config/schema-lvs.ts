// SPDX-License-Identifier: Apache-2.0
/**
 * Finalizes virtual servers and their real servers: keepalived defaults, VS -> RS inheritance,
 * families, sorry server, persistence granularity, and the LVS conflicts (duplicate virtual server,
 * duplicate real, unknown group). Pure. Checkers (RS -> checker inheritance) are in schema-checkers.ts.
 */
import ipaddr from 'ipaddr.js';
import type { IpvsProtocol } from '../ipvs/model.js';
import type { IpFamily } from '../core/addr.js';
import { Defaults } from './model.js';
import { perObject } from '../core/per-object.js';
import type {
  RealServer,
  SourceLoc,
  SorryServer,
  TrackFile,
  VirtualServer,
  VirtualServerGroup,
  VsKey,
} from './model.js';
import type { RsDraft, VsDraft, VsgDraft } from './keywords/virtual-server.js';
import { finalizeChecker } from './schema-checkers.js';
import { type Ctx, familyName } from './values.js';
import { type Finding, RecordingDiagnostics, replayFindings } from './diagnostics.js';

/**
 * A `virtual_server` statement as built: its draft (none when its header was refused) with what
 * building it reported and the `smtp_alert`s it switched on itself, and once finalized when noted
 * for a reload, the virtual server (none when refused) with what that reported, the draft let go.
 * config/incremental.ts gives one back in place of its statement when a reload left the statement,
 * its lines and everything else in the file as they were: what it reported is given again, nothing
 * is built again.
 */
export interface VsStatementBuild {
  readonly built: 'virtual_server';
  /** Until finalized. */
  draft: VsDraft | undefined;
  findings: Finding[];
  /** `smtp_alert` written on: the virtual server's, then its reals' (schema.ts explicitAlerts). */
  alerts: { vs: SourceLoc[]; reals: SourceLoc[] };
  final?: { vs: VirtualServer | undefined; findings: Finding[] };
}

/** `ctx` with its findings also noted in `findings`. */
export const recording = (ctx: Ctx, findings: Finding[]): Ctx => ({
  ...ctx,
  diags: new RecordingDiagnostics(ctx.diags, findings),
});

/**
 * The groups and virtual servers. A statement finalized before is given again; with `note` (builds
 * kept for a reload: config/incremental.ts) the others are finalized and noted.
 */
export function finalizeLvs(
  ctx: Ctx,
  vsgs: VsgDraft[],
  vss: readonly VsStatementBuild[],
  trackFiles: TrackFile[],
  note = false,
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
  for (const b of vss) {
    const vs = finalized(ctx, b, byName, trackFiles, note);
    if (!vs) continue;
    const id = keyIdOf(vs.key).id;
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

function finalized(
  ctx: Ctx,
  b: VsStatementBuild,
  groups: Map<string, VirtualServerGroup>,
  trackFiles: TrackFile[],
  note: boolean,
): VirtualServer | undefined {
  if (b.final) {
    replayFindings(ctx.diags, b.final.findings);
    return b.final.vs;
  }
  if (!b.draft) return undefined;
  if (!note) return finalizeVs(ctx, b.draft, groups, trackFiles);
  const findings: Finding[] = [];
  const vs = finalizeVs(recording(ctx, findings), b.draft, groups, trackFiles);
  b.final = { vs, findings };
  b.draft = undefined; // all a reload needs of it is in `final` and `alerts`
  return vs;
}

/**
 * A virtual server's identity, made once per key object: a reload's duplicate check runs over every
 * virtual server, most of them kept from the last parse (config/incremental.ts) with their keys.
 */
const keyIdOf = perObject((k: VsKey) => ({ id: keyId(k) }));

/** Identity of a virtual server, for duplicate detection. */
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

/** A virtual server as messages name it: `TCP 10.0.0.1:80`, `fwmark 7`, `group WEB`. */
function describe(k: VsKey): string {
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
  const identity = vsIdentity(ctx, d, groups);
  if (!identity) return undefined;
  const vs = newVirtualServer(d, identity.key);
  if (d.persistenceGranularity) applyGranularity(ctx, d, d.persistenceGranularity, vs);
  if (d.hysteresis !== undefined && d.hysteresis >= vs.quorum) {
    ctx.diags.error(
      d.hysteresisLoc ?? d.loc,
      `virtual_server ${describe(vs.key)}: \`hysteresis\` (${d.hysteresis}) must be below \`quorum\` (${vs.quorum})`,
      'hysteresis',
    );
  }
  const sorry = sorryServer(ctx, d, vs, identity.port);
  if (sorry) vs.sorryServer = sorry;
  addReals(ctx, d, vs, identity.port, trackFiles);
  return vs;
}

/** The key of a virtual server and the port its reals default to (0: none). */
function vsIdentity(
  ctx: Ctx,
  d: VsDraft,
  groups: Map<string, VirtualServerGroup>,
): { key: VsKey; port: number } | undefined {
  const protocol: IpvsProtocol = d.protocol ?? 'tcp';
  const h = d.header;
  if (h.kind === 'fwmark')
    return { key: { kind: 'fwmark', family: d.ipFamily ?? 'inet', fwmark: h.fwmark }, port: 0 };
  if (h.kind === 'group') return groupIdentity(ctx, d, h.name, groups, protocol);
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
  const port = h.port ?? 0;
  return { key: { kind: 'addr', family: h.family, protocol, address: h.address, port }, port };
}

/** `virtual_server group NAME`: the group must exist and be of one family. */
function groupIdentity(
  ctx: Ctx,
  d: VsDraft,
  name: string,
  groups: Map<string, VirtualServerGroup>,
  protocol: IpvsProtocol,
): { key: VsKey; port: number } | undefined {
  const g = groups.get(name);
  if (!g) {
    ctx.diags.error(
      d.loc,
      `virtual_server group: no virtual_server_group named \`${name}\``,
      'virtual_server',
    );
    return undefined;
  }
  const fam = d.ipFamily ?? g.entries[0]?.family ?? 'inet';
  const other = g.entries.find((e) => e.family !== fam);
  if (other) {
    ctx.diags.error(
      other.loc,
      `virtual_server_group \`${g.name}\`: ${familyName(other.family)} entry in an ${familyName(fam)} virtual server`,
      'virtual_server_group',
    );
  }
  const port = g.entries.find((e) => e.kind === 'addr')?.port ?? 0;
  return { key: { kind: 'group', name, family: fam, protocol }, port };
}

/** The virtual server's own settings with keepalived's defaults; no reals yet. */
function newVirtualServer(d: VsDraft, key: VsKey): VirtualServer {
  const vs: VirtualServer = {
    key,
    scheduler: d.scheduler ?? Defaults.scheduler,
    flags: d.flags,
    method: d.method ?? { method: 'NAT' },
    quorum: d.quorum ?? Defaults.quorum,
    hysteresis: d.hysteresis ?? 0,
    delayLoopMs: d.delayLoopMs ?? Defaults.delayLoopMs,
    alpha: d.alpha ?? false,
    omega: d.omega,
    haSuspend: d.haSuspend,
    ...optionalWarmup(d.warmupMs),
    connectTimeoutMs: d.connectTimeoutMs ?? Defaults.connectTimeoutMs,
    inhibitOnFailure: d.inhibitOnFailure ?? false,
    realServers: [],
    smtpAlert: d.smtpAlert?.on ?? false,
    loc: d.loc,
  };
  if (d.persistenceTimeoutMs !== undefined) vs.persistenceTimeoutMs = d.persistenceTimeoutMs;
  if (d.persistenceEngine !== undefined) vs.persistenceEngine = d.persistenceEngine;
  if (d.retry !== undefined) vs.retry = d.retry;
  if (d.delayBeforeRetryMs !== undefined) vs.delayBeforeRetryMs = d.delayBeforeRetryMs;
  if (d.virtualhost !== undefined) vs.virtualhost = d.virtualhost;
  if (d.quorumUp) vs.quorumUp = d.quorumUp;
  if (d.quorumDown) vs.quorumDown = d.quorumDown;
  if (d.bgpAnnounce) vs.bgpAnnounce = d.bgpAnnounce;
  return vs;
}

function applyGranularity(
  ctx: Ctx,
  d: VsDraft,
  written: NonNullable<VsDraft['persistenceGranularity']>,
  vs: VirtualServer,
): void {
  const g = granularity(ctx, written, vs.key.family);
  if (g !== undefined) vs.persistenceGranularity = g;
  if (d.persistenceTimeoutMs === undefined) {
    ctx.diags.warning(
      written.loc,
      '`persistence_granularity` has no effect without `persistence_timeout`',
      'persistence_granularity',
    );
  }
}

/** `sorry_server` with its options (port [the VS port], method [the VS method]). */
function sorryServer(ctx: Ctx, d: VsDraft, vs: VirtualServer, vsPort: number): SorryServer | undefined {
  if (!d.sorry) {
    if (d.sorryInhibit || d.sorryMethod) {
      ctx.diags.warning(
        d.loc,
        `virtual_server ${describe(vs.key)}: sorry_server options without \`sorry_server\``,
        'sorry_server',
      );
    }
    return undefined;
  }
  const method = d.sorryMethod ?? vs.method;
  if (d.sorry.family !== vs.key.family && method.method !== 'TUN') {
    ctx.diags.error(
      d.sorry.loc,
      `\`sorry_server\` ${d.sorry.address} is ${familyName(d.sorry.family)} but the virtual server is ${familyName(vs.key.family)}`,
      'sorry_server',
    );
  }
  return {
    family: d.sorry.family,
    address: d.sorry.address,
    port: d.sorry.port ?? vsPort,
    inhibit: d.sorryInhibit,
    method,
    loc: d.sorry.loc,
  };
}

/** The real servers of `d` into `vs`; a second real with the same address and port is an error. */
function addReals(ctx: Ctx, d: VsDraft, vs: VirtualServer, vsPort: number, trackFiles: TrackFile[]): void {
  const seen = new Map<string, RealServer>();
  for (const r of d.reals) {
    const rs = finalizeReal(ctx, r, d, vs, vsPort, trackFiles);
    if (!rs) continue;
    const id = `${rs.address}|${rs.port}`;
    const prev = seen.get(id);
    if (prev) {
      ctx.diags.error(
        rs.loc,
        `duplicate real_server ${rs.address} port ${rs.port} in virtual_server ${describe(vs.key)} (first at line ${prev.loc.line})`,
        'real_server',
      );
      continue;
    }
    seen.set(id, rs);
    vs.realServers.push(rs);
  }
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
    ...optionalWarmup(r.warmupMs ?? vs.warmupMs),
    checkers: [],
    // keepalived's default for real servers is on (schema.ts applies the global smtp_alert*)
    smtpAlert: r.smtpAlert?.on ?? true,
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
  const inherited = {
    retry: r.retry ?? d.retry,
    delayBeforeRetryMs: r.delayBeforeRetryMs ?? d.delayBeforeRetryMs,
    vsDelayLoopMs: vs.delayLoopMs,
  };
  for (const c of r.checkers) {
    const ck = finalizeChecker(ctx, c, rs, inherited, trackFiles);
    if (ck) rs.checkers.push(ck);
  }
  return rs;
}

/** `warmup` when written (absent: the checkers' `delay_loop`, keepalived's default). */
function optionalWarmup(ms: number | undefined): { warmupMs?: number } {
  return ms === undefined ? {} : { warmupMs: ms };
}
