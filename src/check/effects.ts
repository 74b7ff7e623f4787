// SPDX-License-Identifier: Apache-2.0
/**
 * What check events do outside the check state: log lines, notify_up/down and quorum_up/down
 * scripts, keepalived-format LVS notify FIFO lines (`RS [addr]:proto:port [vip]:proto:port UP`,
 * `VS [vip]:proto:port DOWN`) and `smtp_alert` e-mails (quorum changes, omega's shutting down; a
 * checker's own change: checkerAlert); and the log line of a checker step. Pure: scripts, the FIFO
 * and the mail queue are ports (the runner, writer and queue are the daemon's).
 */
import type { LogFields, Logger } from '../core/log.js';
import { formatAddrPort } from '../ipvs/model.js';
import { checkerMessage, quorumMessage, type MailAlert, type MailAlerts } from '../mail/alerts.js';
import type { CheckStep, ProbeResult } from './result.js';
import type { CheckerSpec, RealServerSpec, ScriptCommandSpec, VirtualServerSpec } from './types.js';
import type { CheckEvent } from './virtual-server.js';

/** keepalived's inet_sockaddrtotrio: `[addr]:proto:port`; fwmark services are `FWM n`. */
export function vsText(vs: VirtualServerSpec): string {
  const k = vs.service.key;
  return k.kind === 'fwmark' ? `FWM ${k.fwmark}` : `[${k.address}]:${k.protocol}:${k.port}`;
}

export function rsText(rs: RealServerSpec, vs: VirtualServerSpec): string {
  const k = vs.service.key;
  return `[${rs.address}]:${k.kind === 'addr' ? k.protocol : 'tcp'}:${rs.port}`;
}

export interface EffectPorts {
  logger: Logger;
  /** Run a notify/quorum script (fire and forget). */
  runScript: (script: ScriptCommandSpec) => void;
  /** Write one line (with its newline) to the LVS notify FIFOs. */
  notifyFifo?: ((line: string) => void) | undefined;
  /** Where `smtp_alert` e-mails go. */
  mail?: MailAlerts | undefined;
}

/** keepalived's checker name of a checker spec (the body of its alerts). */
function checkerType(c: CheckerSpec): Parameters<typeof checkerMessage>[0] {
  switch (c.kind) {
    case 'tcp':
      return 'TCP_CHECK';
    case 'http':
      return c.tls ? 'SSL_GET' : 'HTTP_GET';
    case 'misc':
      return 'MISC_CHECK';
    case 'dns':
      return 'DNS_CHECK';
    case 'udp':
      return 'UDP_CHECK';
    case 'file':
      return 'FILE_CHECK';
    case 'ping':
      return 'PING_CHECK';
    case 'smtp':
      return 'SMTP_CHECK';
  }
}

/**
 * The e-mail of a checker that changed state (keepalived sends it from each checker, with its own
 * text; FILE_CHECK sends none): the subject says the real server's state after the change, and
 * `rsChanged` whether that state changed with it (`no_checker_emails`).
 */
export function checkerAlert(
  at: { vs: VirtualServerSpec; rs: RealServerSpec; checker: CheckerSpec },
  checkerUp: boolean,
  result: ProbeResult,
  real: { alive: boolean; changed: boolean },
): MailAlert | undefined {
  if (!at.rs.smtpAlert) return undefined;
  const timedOut = !result.ok && result.reason === 'timeout';
  const message = checkerMessage(checkerType(at.checker), checkerUp, { timedOut });
  if (message === undefined) return undefined;
  return {
    kind: 'realServer',
    rs: rsText(at.rs, at.vs),
    vs: vsText(at.vs),
    up: real.alive,
    rsChanged: real.changed,
    message,
  };
}

function sorryText(vs: VirtualServerSpec): string | null {
  const s = vs.sorryServer;
  return s ? formatAddrPort(s.family, s.address, s.port) : null;
}

/**
 * Carry out the effects of check events, in order. `stopping`: the events of a stop with `omega`,
 * whose e-mails say "Shutting down" (keepalived).
 */
export function runEffects(
  events: readonly CheckEvent[],
  ports: EffectPorts,
  opts: { stopping?: boolean } = {},
): void {
  const log = ports.logger;
  const shutting = '=> Shutting down <=';
  for (const e of events) {
    if (e.type === 'rs') {
      const vsName = vsText(e.vs);
      const rsName = rsText(e.rs, e.vs);
      // a real going down is a warning (journalctl -p warning shows it), coming back a notice
      if (e.up) log.notice('real server up', { vs: vsName, rs: rsName });
      else log.warn('real server down', { vs: vsName, rs: rsName });
      const script = e.up ? e.rs.notifyUp : e.rs.notifyDown;
      if (script) ports.runScript(script);
      ports.notifyFifo?.(`RS ${rsName} ${vsName} ${e.up ? 'UP' : 'DOWN'}\n`);
      // a checker mails its own changes (checkerAlert); a stop mails the reals it takes down
      if (opts.stopping && e.rs.smtpAlert)
        ports.mail?.alert({
          kind: 'realServer',
          rs: rsName,
          vs: vsName,
          up: false,
          rsChanged: true,
          message: shutting,
        });
    } else if (e.type === 'vs') {
      const fields = {
        vs: vsText(e.vs),
        weightSum: e.weightSum,
        threshold: e.threshold,
        sorryServer: sorryText(e.vs),
      };
      if (e.up) log.notice('gained quorum', fields);
      else log.warn('lost quorum', fields);
      const script = e.up ? e.vs.quorumUp : e.vs.quorumDown;
      if (script) ports.runScript(script);
      ports.notifyFifo?.(`VS ${vsText(e.vs)} ${e.up ? 'UP' : 'DOWN'}\n`);
      if (e.vs.smtpAlert) {
        const q = {
          quorum: e.vs.quorum,
          hysteresis: e.vs.hysteresis,
          threshold: e.threshold,
          weightSum: e.weightSum,
        };
        const message = opts.stopping ? shutting : quorumMessage(e.up, q);
        ports.mail?.alert({ kind: 'virtualServer', vs: vsText(e.vs), up: e.up, message });
      }
    } else {
      log.info('real server weight changed', { vs: vsText(e.vs), rs: rsText(e.rs, e.vs), weight: e.weight });
    }
  }
}

/**
 * The log line of one folded probe result, when one is due: a retried failure or any failure with
 * `log_all_failures`, and every up/down transition.
 */
export function logCheckStep(
  log: Logger,
  at: { vs: VirtualServerSpec; rs: RealServerSpec; checker: CheckerSpec },
  step: CheckStep,
  result: ProbeResult,
): void {
  const { vs, rs, checker } = at;
  const fields = (): LogFields => ({ vs: vsText(vs), rs: rsText(rs, vs), checker: checker.kind });
  if (step.retrying && checker.timing.logAllFailures && !result.ok) {
    log.info('check failed, will retry', { ...fields(), reason: result.reason, retry: step.state.retryIt });
  } else if (step.transition) {
    log.info(step.transition === 'up' ? 'check succeeded' : 'check failed', {
      ...fields(),
      ...(result.ok ? {} : { reason: result.reason }),
    });
  } else if (!result.ok && checker.timing.logAllFailures) {
    log.info('check failed', { ...fields(), reason: result.reason });
  }
}
