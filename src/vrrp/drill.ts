// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd drill failover`: hand one MASTER instance over to its peer on a live pair and measure it,
 * then take it back. The instance is held (machine event `drill`): one priority-0 advert, then at
 * once (so a nopreempt peer does not take over) adverts at priority 1; it keeps its VIPs until the
 * peer's advert makes it BACKUP — so a
 * drill without a live, preempting peer costs no outage and is refused ("no peer took over"), and a
 * peer that dies during the drill is replaced by this node as usual. Measured from the hold: the
 * peer's first advert as master, the VIPs gone here, the VIPs answering through the peer (the
 * neighbour entry that now names the peer's MAC, and a TCP connect to each virtual server on the
 * VIP); then, unless `back` is off, the instance MASTER again with its VIPs. VRRP backups are
 * silent, so a peer cannot be seen before it is asked to take over. No I/O of its own: the probe of
 * a VIP is a port, time comes from the injected clock and timers.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { VrrpInstance } from './instance.js';
import type { StepResult } from './types.js';

/** What answers at a VIP after the handover, seen from this director. */
export interface VipAnswer {
  /** The MAC the VIP resolves to now (ARP/NDP), if it resolved. */
  readonly mac?: string;
  readonly tcp: ReadonlyArray<{ readonly port: number; readonly ok: boolean; readonly error?: string }>;
}

export interface DrillPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Resolve `vip` on `ifname` and connect to each TCP port (virtual servers on that VIP). */
  probeVip(vip: string, ifname: string, ports: readonly number[]): Promise<VipAnswer>;
}

export interface DrillTarget {
  readonly instance: VrrpInstance;
  readonly ifname: string;
  /** The VIPs (addresses) and, for each, the TCP ports of the virtual servers on it. */
  readonly vips: ReadonlyArray<{ readonly address: string; readonly ports: readonly number[] }>;
  /** This node's MAC on the interface (the VIP must resolve to another one). */
  readonly ownMac: string;
}

export interface DrillReport {
  readonly instance: string;
  readonly ok: boolean;
  /** Why the drill did not hand over, or failed part way. */
  readonly error?: string;
  readonly peer?: string;
  /** ms from the hold to the peer's first advert as master. */
  readonly peerMasterMs?: number;
  /** ms from the hold to the VIPs removed here. */
  readonly vipsGoneMs?: number;
  /** ms from the hold to every VIP answering through the peer. */
  readonly vipsAnswerMs?: number;
  readonly answers?: Readonly<Record<string, VipAnswer>>;
  /** Taking the instance back: ms from the release to MASTER again with the VIPs. */
  readonly back?: { readonly ok: boolean; readonly masterMs?: number; readonly error?: string };
}

/** Resolves at the first step that satisfies `pred` (with its time), or undefined after `ms`. */
function nextStep(
  inst: VrrpInstance,
  ports: DrillPorts,
  pred: (r: StepResult) => boolean,
  ms: number,
): Promise<{ r: StepResult; at: number } | undefined> {
  return new Promise((resolve) => {
    const stop = inst.watch((r, at) => {
      if (!pred(r)) return;
      stop();
      ports.timers.clearTimeout(timer);
      resolve({ r, at });
    });
    const timer = ports.timers.setTimeout(() => {
      stop();
      resolve(undefined);
    }, ms);
  });
}

const sleep = (ports: DrillPorts, ms: number) => new Promise<void>((r) => ports.timers.setTimeout(r, ms));

/** Probe every VIP until each resolves to another MAC and every virtual server answers, or time runs out. */
async function waitForAnswers(
  t: DrillTarget,
  ports: DrillPorts,
  until: number,
): Promise<{ ok: boolean; answers: Record<string, VipAnswer> }> {
  const answers: Record<string, VipAnswer> = {};
  for (;;) {
    let ok = true;
    for (const v of t.vips) {
      const a = await ports.probeVip(v.address, t.ifname, v.ports);
      answers[v.address] = a;
      if (!a.mac || a.mac === t.ownMac || a.tcp.some((c) => !c.ok)) ok = false;
    }
    if (ok || ports.clock.now() >= until) return { ok, answers };
    await sleep(ports, 100);
  }
}

export async function runDrill(
  t: DrillTarget,
  ports: DrillPorts,
  o: { back: boolean; timeoutMs: number },
): Promise<DrillReport> {
  const inst = t.instance;
  const name = inst.name;
  if (inst.state.name !== 'master')
    return { instance: name, ok: false, error: `not MASTER here (${inst.state.name})` };
  if (inst.state.config.priority === 255)
    return { instance: name, ok: false, error: 'an address owner (priority 255) does not hand over' };
  if (inst.state.drillHold)
    return { instance: name, ok: false, error: 'a drill of this instance is under way' };
  const t0 = ports.clock.now();
  const tookOver = nextStep(inst, ports, (r) => r.state.name !== 'master', o.timeoutMs);
  inst.feed({ type: 'drill', hold: true });
  const step = await tookOver;
  if (!step || step.r.state.name !== 'backup') {
    inst.feed({ type: 'drill', hold: false });
    return {
      instance: name,
      ok: false,
      error: step
        ? `left MASTER for ${step.r.state.name}, not for a peer: released`
        : `no peer took over within ${o.timeoutMs / 1000} s (none alive, or it does not preempt); the instance stayed MASTER and kept its VIPs`,
    };
  }
  const peer = step.r.state.masterSrc;
  const peerMasterMs = step.at - t0;
  await inst.settled();
  const vipsGoneMs = ports.clock.now() - t0;
  const reach = await waitForAnswers(t, ports, t0 + o.timeoutMs);
  const vipsAnswerMs = ports.clock.now() - t0;
  const report = {
    instance: name,
    ok: reach.ok,
    ...(peer !== undefined ? { peer } : {}),
    peerMasterMs,
    vipsGoneMs,
    ...(reach.ok ? { vipsAnswerMs } : { error: 'the VIPs did not answer through the peer in time' }),
    answers: reach.answers,
  };
  if (!o.back) return report;
  return { ...report, back: await takeBack(inst, ports, o.timeoutMs) };
}

/** End the hold; the instance preempts back when it may (after its Master_Down_Interval). */
async function takeBack(
  inst: VrrpInstance,
  ports: DrillPorts,
  timeoutMs: number,
): Promise<NonNullable<DrillReport['back']>> {
  const t1 = ports.clock.now();
  const master = nextStep(inst, ports, (r) => r.state.name === 'master', timeoutMs);
  inst.feed({ type: 'drill', hold: false });
  const back = await master;
  if (!back)
    return {
      ok: false,
      error: `not MASTER again within ${timeoutMs / 1000} s (nopreempt, or a higher peer)`,
    };
  await inst.settled();
  return { ok: true, masterMs: ports.clock.now() - t1 };
}
