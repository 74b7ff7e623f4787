// SPDX-License-Identifier: Apache-2.0
/**
 * What check events do outside the check state: log lines, notify_up/down and quorum_up/down
 * scripts, and keepalived-format LVS notify FIFO lines (`RS [addr]:proto:port [vip]:proto:port UP`,
 * `VS [vip]:proto:port DOWN`); and the log line of a checker step. Pure: scripts and the FIFO are
 * ports (the runner and writer are the daemon's).
 */
import type { LogFields, Logger } from '../core/log.js';
import { formatAddrPort } from '../ipvs/model.js';
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
}

function sorryText(vs: VirtualServerSpec): string | null {
  const s = vs.sorryServer;
  return s ? formatAddrPort(s.family, s.address, s.port) : null;
}

/** Carry out the effects of check events, in order. */
export function runEffects(events: readonly CheckEvent[], ports: EffectPorts): void {
  const log = ports.logger;
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
