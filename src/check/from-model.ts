// SPDX-License-Identifier: Apache-2.0
/**
 * Maps the config Model's virtual servers onto the check layer's specs (and IPVS services).
 * Pure. A `virtual_server group` becomes one spec whose reals are checked once and programmed
 * into every member service of the group.
 */
import { withDefaultUser } from '../script/command.js';
import type { IpvsService, ServiceKey } from '../ipvs/model.js';
import type {
  Checker,
  HttpUrl,
  Model,
  RealServer,
  ScriptSpec,
  VirtualServer,
  VirtualServerGroup,
} from '../config/model.js';
import { forwardMethodOf } from '../config/model.js';
import type {
  BodyRegexSpec,
  CheckerSpec,
  CheckSpec,
  CheckTiming,
  HttpUrlSpec,
  RealServerSpec,
  ScriptCommandSpec,
  VirtualServerSpec,
} from './types.js';
import { parseHexPattern } from './udp.js';

function timingOf(c: Checker): CheckTiming {
  return {
    connectTimeoutMs: c.connectTimeoutMs,
    retry: c.retry,
    delayBeforeRetryMs: c.delayBeforeRetryMs,
    delayLoopMs: c.delayLoopMs,
    warmupMs: c.warmupMs,
    alpha: c.alpha,
    logAllFailures: c.logAllFailures,
    ...pacingOf(c.type),
  };
}

/**
 * keepalived's epilogue of each checker type, as data (docs/config.md, "Check timing"): TCP_CHECK
 * retries even when down; MISC_CHECK, UDP_CHECK, PING_CHECK and DNS_CHECK retry only while up;
 * HTTP_GET/SSL_GET have their own pace once down; MISC_CHECK times its next run from the script's start;
 * SMTP_CHECK retries before its first verdict too.
 */
function pacingOf(
  type: Checker['type'],
): Pick<CheckTiming, 'failurePacing' | 'pacedFromStart' | 'retriesBeforeFirstVerdict'> {
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return { failurePacing: 'http' };
    case 'MISC_CHECK':
      return { failurePacing: 'while-up', pacedFromStart: true };
    case 'UDP_CHECK':
    case 'PING_CHECK':
    case 'DNS_CHECK':
      return { failurePacing: 'while-up' };
    case 'SMTP_CHECK':
      return { failurePacing: 'always', retriesBeforeFirstVerdict: true };
    default:
      return { failurePacing: 'always' };
  }
}

/**
 * keepalived's HTTP_GET/SSL_GET check one URL per probe, `delay_loop` apart, and a server comes up
 * after a whole round of URLs (after a failure, the failed URL is checked again first); with
 * `fast_recovery` the URLs of a round follow each other at once. lvsd's probe checks every URL
 * back to back, which is the `fast_recovery` round; without it, a checker that is not up needs as
 * many successful probes, `delay_loop` apart, as keepalived needs URL checks.
 */
export function httpUrlRound(urls: number, fastRecovery: boolean): number | undefined {
  return fastRecovery ? undefined : urls;
}

function hexBytes(hex: string): Uint8Array {
  return parseHexPattern(hex)?.bytes ?? new Uint8Array();
}

/**
 * Every checker spec is built kind first, from one literal, and given its connect options after:
 * a spec spread from a shared base (`{ ...base, kind }`) got a V8 hidden class of its own on Node 20,
 * one per real (~10,000 classes at 10,000 reals, each read megamorphic by the probes).
 */
export function checkerSpec(c: Checker, rs: RealServer, model: Model): CheckerSpec {
  const timing = timingOf(c);
  switch (c.type) {
    case 'TCP_CHECK': {
      // fwmark/bind_if: TCP_CHECK only (the native engine sets SO_MARK/SO_BINDTODEVICE; the other
      // probes use Node sockets, and the config layer rejects the options on them).
      const s: CheckerSpec = withConnect({ kind: 'tcp', timing }, c, rs);
      if (c.fwmark !== undefined) s.fwmark = c.fwmark;
      if (c.bindIf !== undefined) s.bindIf = c.bindIf;
      return s;
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      const urlRound = httpUrlRound(c.urls.length, c.fastRecovery);
      if (urlRound !== undefined) timing.urlRound = urlRound;
      const s: CheckerSpec = withConnect(
        {
          kind: 'http',
          timing,
          tls: c.type === 'SSL_GET',
          urls: c.urls.map(urlSpec),
          httpProtocol: c.httpProtocol,
          enableSni: c.enableSni,
        },
        c,
        rs,
      );
      const vhost = c.virtualhost ?? rs.virtualhost;
      if (vhost !== undefined) s.virtualhost = vhost;
      if (c.sniName !== undefined) s.sniName = c.sniName;
      return s;
    }
    case 'MISC_CHECK': {
      const s: CheckerSpec = withConnect(
        { kind: 'misc', timing, argv: c.miscPath.argv, timeoutMs: c.miscTimeoutMs, dynamic: c.miscDynamic },
        c,
        rs,
      );
      const who =
        c.miscPath.user !== undefined
          ? { user: c.miscPath.user, group: c.miscPath.group }
          : model.global.scriptUser;
      if (who) {
        s.user = who.user;
        if (who.group !== undefined) s.group = who.group;
      }
      return s;
    }
    case 'DNS_CHECK':
      return withConnect({ kind: 'dns', timing, type: c.queryType, name: c.name }, c, rs);
    case 'UDP_CHECK': {
      const s: CheckerSpec = withConnect(
        {
          kind: 'udp',
          timing,
          requireReply: c.requireReply !== undefined,
          minReplyLength: c.minReplyLength,
          maxReplyLength: c.maxReplyLength,
        },
        c,
        rs,
      );
      if (c.payload !== undefined) s.payload = hexBytes(c.payload);
      if (c.requireReply) {
        const p = parseHexPattern(c.requireReply);
        if (p) s.replyPattern = p;
      }
      return s;
    }
    case 'FILE_CHECK': {
      const tf = model.trackFiles.find((f) => f.name === c.trackFile);
      return withConnect(
        {
          kind: 'file',
          timing,
          file: tf?.file ?? '',
          weight: c.weight,
          reverse: c.weightReverse,
          dynamic: c.dynamic,
        },
        c,
        rs,
      );
    }
    case 'PING_CHECK': {
      const s: CheckerSpec = withConnect({ kind: 'ping', timing }, c, rs);
      if (c.bindIf !== undefined) s.bindIf = c.bindIf;
      return s;
    }
    case 'SMTP_CHECK':
      return withConnect({ kind: 'smtp', timing, heloName: c.heloName }, c, rs);
  }
}

/** The checker's connect options where they differ from its real's (ConnectOptions). */
function withConnect<S extends CheckerSpec>(s: S, c: Checker, rs: RealServer): S {
  if (c.connectIp !== rs.address) s.connectIp = c.connectIp;
  if (c.connectPort !== rs.port) s.connectPort = c.connectPort;
  if (c.bindTo !== undefined) s.bindTo = c.bindTo;
  if (c.bindPort !== undefined) s.bindPort = c.bindPort;
  return s;
}

function urlSpec(u: HttpUrl): HttpUrlSpec {
  const url: HttpUrlSpec = { path: u.path, statusCodes: u.statusCodes };
  if (u.digest !== undefined) url.digest = u.digest;
  if (u.virtualhost !== undefined) url.virtualhost = u.virtualhost;
  if (u.regex !== undefined) {
    const { source, flags, noMatch, minOffset, maxOffset } = u.regex;
    const regex: BodyRegexSpec = { source, flags, noMatch, minOffset };
    if (maxOffset !== undefined) regex.maxOffset = maxOffset;
    url.regex = regex;
  }
  return url;
}

/** A script with the user it runs as: its own `USER [GROUP]`, else global `script_user`. */
function scriptCommand(s: ScriptSpec, model: Model): ScriptCommandSpec {
  const own = {
    argv: s.argv,
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.user !== undefined && s.group !== undefined ? { group: s.group } : {}),
  };
  return withDefaultUser(own, model.global.scriptUser);
}

/**
 * `announced`: its virtual server is announced over BGP, so a failed real is kept at weight 0
 * (inhibit_on_failure): deleting and adding it back would put it at the head of the kernel's list
 * and change this director's Maglev (`mh`) table against the others'.
 */
function realSpec(rs: RealServer, model: Model, announced: boolean): RealServerSpec {
  const s: RealServerSpec = {
    family: rs.family,
    address: rs.address,
    port: rs.port,
    weight: rs.weight,
    method: forwardMethodOf(rs.method),
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
    inhibitOnFailure: rs.inhibitOnFailure || announced,
    checkers: rs.checkers.map((c) => checkerSpec(c, rs, model)),
  };
  if (rs.method.tunnel) s.tunnel = rs.method.tunnel;
  if (rs.notifyUp) s.notifyUp = scriptCommand(rs.notifyUp, model);
  if (rs.notifyDown) s.notifyDown = scriptCommand(rs.notifyDown, model);
  if (rs.smtpAlert) s.smtpAlert = true;
  return s;
}

/** The virtual server groups by name (the first of a name wins, as `find` would). */
export function groupsByName(model: Model): Map<string, VirtualServerGroup> {
  const m = new Map<string, VirtualServerGroup>();
  for (const g of model.virtualServerGroups) if (!m.has(g.name)) m.set(g.name, g);
  return m;
}

/**
 * The IPVS service keys a virtual server stands for (several for a group). `groups`: the index of
 * `model`'s groups, when the caller maps many virtual servers (a `find` each was O(VS x groups)).
 */
export function serviceKeys(
  vs: VirtualServer,
  model: Model,
  groups: ReadonlyMap<string, VirtualServerGroup> = groupsByName(model),
): ServiceKey[] {
  const k = vs.key;
  if (k.kind === 'addr')
    return [{ kind: 'addr', family: k.family, protocol: k.protocol, address: k.address, port: k.port }];
  if (k.kind === 'fwmark') return [{ kind: 'fwmark', family: k.family, fwmark: k.fwmark }];
  const group = groups.get(k.name);
  return (group?.entries ?? [])
    .filter((e) => e.family === k.family)
    .map((e) =>
      e.kind === 'addr'
        ? { kind: 'addr' as const, family: e.family, protocol: k.protocol, address: e.address, port: e.port }
        : { kind: 'fwmark' as const, family: e.family, fwmark: e.fwmark },
    );
}

export function ipvsService(vs: VirtualServer, key: ServiceKey): IpvsService {
  const s: IpvsService = { key, scheduler: vs.scheduler, flags: vs.flags };
  if (vs.persistenceTimeoutMs !== undefined) {
    s.persistence = {
      timeout: Math.round(vs.persistenceTimeoutMs / 1000),
      netmask: vs.persistenceGranularity ?? (key.family === 'inet6' ? 128 : '255.255.255.255'),
    };
  }
  if (vs.persistenceEngine !== undefined) s.persistenceEngine = vs.persistenceEngine;
  return s;
}

/**
 * The spec of one virtual server (undefined for a group with no member of its family). `groups`:
 * the index of `model`'s groups (`groupsByName`).
 */
export function virtualServerSpec(
  vs: VirtualServer,
  model: Model,
  groups: ReadonlyMap<string, VirtualServerGroup>,
): VirtualServerSpec | undefined {
  const [first, ...rest] = serviceKeys(vs, model, groups);
  if (!first) return undefined;
  const announced = vs.bgpAnnounce !== undefined && model.global.lvsdBgp !== undefined;
  const spec: VirtualServerSpec = {
    service: ipvsService(vs, first),
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    sorryServerInhibit: vs.sorryServer?.inhibit ?? false,
    omega: vs.omega,
    haSuspend: vs.haSuspend,
    reals: vs.realServers.map((rs) => realSpec(rs, model, announced)),
  };
  if (announced) spec.bgpAnnounce = true;
  if (rest.length) spec.alsoServices = rest.map((k) => ipvsService(vs, k));
  if (vs.quorumUp) spec.quorumUp = scriptCommand(vs.quorumUp, model);
  if (vs.quorumDown) spec.quorumDown = scriptCommand(vs.quorumDown, model);
  if (vs.smtpAlert) spec.smtpAlert = true;
  if (vs.sorryServer) {
    const ss = vs.sorryServer;
    spec.sorryServer = {
      family: ss.family,
      address: ss.address,
      port: ss.port,
      method: forwardMethodOf(ss.method),
      weight: 1,
    };
  }
  return spec;
}

/** The FIFOs the check layer writes its lines to. */
export function notifyFifosOf(model: Model): string[] {
  const g = model.global;
  return [g.notifyFifo?.path, g.lvsNotifyFifo?.path].filter((p): p is string => p !== undefined);
}

export function checkSpecFromModel(model: Model): CheckSpec {
  const groups = groupsByName(model);
  const virtualServers: VirtualServerSpec[] = [];
  for (const vs of model.virtualServers) {
    const spec = virtualServerSpec(vs, model, groups);
    if (spec) virtualServers.push(spec);
  }
  return { virtualServers, notifyFifos: notifyFifosOf(model) };
}
