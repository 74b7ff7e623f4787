// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP state machine (RFC 9568 §6.4 with keepalived's knobs) as a pure reducer:
 * `step(state, event, now) → { state, actions }`. Pure: time is `now` (monotonic ms), timers are
 * absolute deadlines in the state, and every side effect is a returned action, in the order
 * keepalived performs them (advert, then VIPs, then GARP, then notify).
 */
import { compareAddr } from '../core/addr.js';
import { masterDownIntervalMs, skewPriority, skewTimeMs } from './timers.js';
import type {
  MachineAction,
  MachineConfig,
  MachineEvent,
  MachineState,
  ReceivedAdvert,
  StepResult,
  TimerName,
  TransitionReason,
  VrrpStateName,
} from './types.js';

/** Effective priority: base + tracker delta clamped to 1..254; the owner's 255 is never changed. */
export function effectivePriority(base: number, delta: number): number {
  if (base === 255) return 255;
  return Math.min(254, Math.max(1, base + delta));
}

/** A fresh machine in `init`; feed it `{ type: 'start' }`. */
export function initMachine(config: MachineConfig): MachineState {
  return {
    config,
    name: 'init',
    effectivePriority: config.priority,
    trackDelta: 0,
    trackFault: false,
    linkUp: true,
    syncFault: false,
    masterAdverIntMs: config.advertIntMs,
    timers: {},
    masterSrc: undefined,
    masterPriority: undefined,
    preemptAt: undefined,
    wantMaster: false,
    rogueCounter: 0,
    rogueAdverIntMs: 0,
    answeredAt: {},
    drillHold: false,
  };
}

/** The priority a state advertises and compares with: its own (with trackers), or 1 during a drill. */
function ownPriority(s: MachineState, delta: number): number {
  if (s.config.priority === 255) return s.effectivePriority; // an owner's priority never follows trackers
  return s.drillHold ? 1 : effectivePriority(s.config.priority, delta);
}

/** Sources a MASTER answers at most per advert interval (beyond them a flood is not answered). */
export const ANSWER_SOURCES = 32;

/**
 * Whether a MASTER may answer `src` now (one answer per advert interval per source, at most
 * ANSWER_SOURCES sources per interval); records the answer when it may.
 */
function mayAnswer(t: Tx, src: string): boolean {
  // 90 %: a peer advertising at our own interval, with jitter, is answered every time
  const every = t.s.config.advertIntMs * 0.9;
  const recent: Record<string, number> = {};
  for (const [k, at] of Object.entries(t.s.answeredAt)) if (t.now - at < every) recent[k] = at;
  const ok = recent[src] === undefined && Object.keys(recent).length < ANSWER_SOURCES;
  if (ok) recent[src] = t.now;
  else t.push({ type: 'count', counter: 'answersSuppressed' });
  t.set({ answeredAt: recent });
  return ok;
}

/** The earliest armed timer, for the shell's single real timer. */
export function nextDeadline(state: MachineState): { which: TimerName; at: number } | undefined {
  // for-in, not Object.entries: this runs on every advert sent or heard
  let which: TimerName | undefined;
  let at = Infinity;
  for (const k in state.timers) {
    const t = state.timers[k as TimerName];
    if (t !== undefined && t < at) {
      which = k as TimerName;
      at = t;
    }
  }
  return which === undefined ? undefined : { which, at };
}

/** Armed timers due at `now`, earliest first: feed each as `{ type: 'timer', which }`. */
export function dueTimers(state: MachineState, now: number): TimerName[] {
  return (Object.entries(state.timers) as [TimerName, number | undefined][])
    .filter((e): e is [TimerName, number] => e[1] !== undefined && e[1] <= now)
    .sort((a, b) => a[1] - b[1])
    .map((e) => e[0]);
}

/** Master_Down_Interval of this machine now (ms), from its effective priority and learned interval. */
export function masterDownMs(s: MachineState): number {
  const c = s.config;
  return masterDownIntervalMs(
    c.version,
    skewPriority(c.priority, s.effectivePriority),
    s.masterAdverIntMs,
    c.downTimerAdverts,
  );
}

/** Skew_Time of this machine now (ms). */
export function skewMs(s: MachineState): number {
  const c = s.config;
  return skewTimeMs(c.version, skewPriority(c.priority, s.effectivePriority), s.masterAdverIntMs);
}

/** The timers but one, as a new object (a `delete` would leave V8 a slow dictionary-mode object). */
function without(timers: MachineState['timers'], which: TimerName): MachineState['timers'] {
  const out: Partial<Record<TimerName, number>> = {};
  for (const k in timers) {
    const at = timers[k as TimerName];
    if (k !== which && at !== undefined) out[k as TimerName] = at;
  }
  return out;
}

/** A small builder so each transition reads as the list of what happens. */
class Tx {
  s: MachineState;
  readonly actions: MachineAction[] = [];
  constructor(
    s: MachineState,
    readonly now: number,
  ) {
    this.s = s;
  }
  set(patch: Partial<MachineState>): void {
    this.s = { ...this.s, ...patch };
  }
  arm(which: TimerName, at: number): void {
    this.s = { ...this.s, timers: { ...this.s.timers, [which]: at } };
    this.actions.push({ type: 'armTimer', which, at });
  }
  cancel(...names: TimerName[]): void {
    for (const which of names) {
      if (this.s.timers[which] === undefined) continue;
      this.s = { ...this.s, timers: without(this.s.timers, which) };
      this.actions.push({ type: 'cancelTimer', which });
    }
  }
  /** Drop a timer that has just fired (no cancel action: the shell's timer is already spent). */
  fired(which: TimerName): void {
    this.s = { ...this.s, timers: without(this.s.timers, which) };
  }
  push(a: MachineAction): void {
    this.actions.push(a);
  }
  advert(priority: number): void {
    this.actions.push({ type: 'sendAdvert', priority });
  }
  notify(to: VrrpStateName, reason: TransitionReason): void {
    this.actions.push({ type: 'notify', from: this.s.name, to, reason, priority: this.s.effectivePriority });
    this.s = { ...this.s, name: to };
  }
  result(): StepResult {
    return { state: this.s, actions: this.actions };
  }
}

const MASTER_TIMERS: TimerName[] = ['advert', 'garpDelayed', 'garpRefresh', 'garpLowerPrioDelayed', 'rogue'];

/** An owner that lowered itself to 254 for a duplicate owner gets 255 back (keepalived). */
function restoreOwner(t: Tx): void {
  if (t.s.config.priority !== 255 || t.s.effectivePriority === 255) return;
  t.push({ type: 'priorityChanged', from: t.s.effectivePriority, to: 255 });
  t.set({ effectivePriority: 255 });
}

function wantsFault(s: MachineState): boolean {
  return !s.linkUp || s.trackFault || s.syncFault;
}

function becomeMaster(t: Tx, reason: TransitionReason): void {
  const c = t.s.config;
  t.cancel('masterDown');
  restoreOwner(t);
  t.set({
    masterAdverIntMs: c.advertIntMs,
    masterSrc: undefined,
    masterPriority: undefined,
    preemptAt: undefined,
    wantMaster: false,
  });
  t.push({ type: 'count', counter: 'becomeMaster' });
  t.advert(t.s.effectivePriority);
  t.push({ type: 'addVips' });
  t.push({ type: 'sendGarp', phase: 'master', repeat: c.garp.masterRepeat });
  t.arm('advert', t.now + c.advertIntMs);
  if (c.garp.masterDelayMs > 0) t.arm('garpDelayed', t.now + c.garp.masterDelayMs);
  if (c.garp.masterRefreshMs > 0) t.arm('garpRefresh', t.now + c.garp.masterRefreshMs);
  t.notify('master', reason);
}

/** Leave master: stop sending, release the VIPs (the caller sends any priority-0 advert first). */
function leaveMaster(t: Tx, to: VrrpStateName, reason: TransitionReason): void {
  t.cancel(...MASTER_TIMERS);
  t.set({ rogueCounter: 0 });
  t.push({ type: 'removeVips' });
  t.push({ type: 'count', counter: 'releaseMaster' });
  t.notify(to, reason);
}

function enterBackup(t: Tx, reason: TransitionReason): void {
  t.notify('backup', reason);
  t.arm('masterDown', t.now + masterDownMs(t.s));
}

function enterFault(t: Tx, reason: TransitionReason): void {
  if (t.s.name === 'master') {
    t.advert(0);
    leaveMaster(t, 'fault', reason);
  } else {
    t.notify('fault', reason);
  }
  t.cancel('masterDown', ...MASTER_TIMERS);
  t.set({ masterSrc: undefined, masterPriority: undefined, preemptAt: undefined, wantMaster: false });
}

/** Leaving init (after start / startup delay) or fault: owner → master at once, else backup. */
function startup(t: Tx, reason: TransitionReason): void {
  if (wantsFault(t.s)) {
    if (t.s.name !== 'fault') enterFault(t, 'fault');
    return;
  }
  const c = t.s.config;
  t.set({ masterAdverIntMs: c.advertIntMs, preemptAt: undefined, wantMaster: false });
  // keepalived vrrp_init_state / try_up_instance: only an owner that wants MASTER skips the wait.
  if (c.priority === 255 && c.initialState === 'master') {
    becomeMaster(t, reason === 'start' ? 'ownerStart' : reason);
    return;
  }
  enterBackup(t, reason);
}

function follow(t: Tx, adv: ReceivedAdvert): void {
  const c = t.s.config;
  t.set({
    masterSrc: adv.src,
    masterPriority: adv.priority,
    masterAdverIntMs: c.version === 3 ? adv.maxAdverIntMs : t.s.masterAdverIntMs,
    wantMaster: false,
  });
  t.arm('masterDown', t.now + masterDownMs(t.s));
}

function backupAdvert(t: Tx, adv: ReceivedAdvert): void {
  const c = t.s.config;
  // The other address owner went away (another master, or it no longer claims 255).
  if (t.s.effectivePriority === 254 && (adv.src !== t.s.masterSrc || adv.priority !== 255)) restoreOwner(t);
  if (adv.priority === 0) {
    // RFC 9568 §6.4.2: Master_Down_Timer = Skew_Time.
    t.set({ masterSrc: adv.src, masterPriority: 0 });
    t.arm('masterDown', t.now + skewMs(t.s));
    return;
  }
  const eff = t.s.effectivePriority;
  if (!c.preempt || adv.priority >= eff) {
    // A priority at least ours stops a running preempt delay (keepalived "stop preempt delay").
    if (adv.priority >= eff) t.set({ preemptAt: undefined });
    follow(t, adv);
    return;
  }
  // Lower priority and preempt: follow it anyway while preempt_delay holds (keepalived preempt_time).
  if (c.preemptDelayMs > 0) {
    if (t.s.preemptAt === undefined) t.set({ preemptAt: t.now + c.preemptDelayMs });
    if (t.s.preemptAt !== undefined && t.s.preemptAt > t.now) {
      follow(t, adv);
      return;
    }
  }
  // Discard: Master_Down_Timer keeps running, we preempt when it fires (keepalived still records
  // who the lower-priority master is).
  t.set({ masterSrc: adv.src, masterPriority: adv.priority });
}

function masterAdvert(t: Tx, adv: ReceivedAdvert): void {
  const c = t.s.config;
  if (adv.priority === 0) {
    // RFC: answer a release at once and restart Adver_Timer (keepalived's scheduler skips the
    // restart under lower_prio_no_advert); at most once per interval per source.
    if (!mayAnswer(t, adv.src)) return;
    t.advert(t.s.effectivePriority);
    if (!c.lowerPrioNoAdvert) t.arm('advert', t.now + c.advertIntMs);
    return;
  }
  if (adv.priority === 255 && t.s.effectivePriority === 255 && compareAddr(adv.src, c.primaryAddress) < 0) {
    // Two address owners and ours is the higher address (keepalived vrrp_state_master_rx): give the
    // other one two of our adverts plus 1.2 × the longer interval to back off, then yield (254).
    if (t.s.timers.rogue !== undefined) {
      t.cancel('rogue');
      t.push({ type: 'priorityChanged', from: 255, to: 254 });
      t.set({ effectivePriority: 254 });
    } else {
      t.set({ rogueAdverIntMs: adv.maxAdverIntMs, rogueCounter: t.s.rogueCounter || 2 });
    }
  }
  const eff = t.s.effectivePriority;
  const higher = adv.priority > eff || (adv.priority === eff && compareAddr(adv.src, c.primaryAddress) > 0);
  if (higher) {
    if (c.higherPrioSendAdvert) t.advert(eff);
    leaveMaster(t, 'backup', 'higherPriority');
    follow(t, adv);
    return;
  }
  t.push({ type: 'count', counter: 'lowerPrioRcvd' });
  // RFC 9568: an Active router receiving a lower priority advert sends one at once (unless
  // lower_prio_no_advert) and restarts Adver_Timer; keepalived re-sends gratuitous ARPs either way
  // so the network follows the real master, then fires notify_master_rx_lower_pri. The answer
  // (advert and GARP burst) goes at most once per interval per source: a flood is not amplified.
  if (!mayAnswer(t, adv.src)) return;
  if (!c.lowerPrioNoAdvert) {
    t.advert(eff);
    t.arm('advert', t.now + c.advertIntMs);
  }
  if (c.garp.lowerPrioRepeat > 0) {
    t.push({ type: 'sendGarp', phase: 'lowerPrio', repeat: c.garp.lowerPrioRepeat });
    if (c.garp.lowerPrioDelayMs > 0) t.arm('garpLowerPrioDelayed', t.now + c.garp.lowerPrioDelayMs);
  }
  t.push({ type: 'notifyMasterRxLowerPri', src: adv.src, priority: adv.priority });
}

function onTimer(t: Tx, which: TimerName): void {
  const at = t.s.timers[which];
  if (at === undefined || at > t.now) return; // stale or early: ignore
  t.fired(which);
  const c = t.s.config;
  const name = t.s.name;
  switch (which) {
    case 'startupDelay':
      if (name === 'init') startup(t, 'start');
      return;
    case 'masterDown':
      if (name !== 'backup') return;
      if (c.inSyncGroup) {
        // keepalived vrrp_sync_can_goto_master: wait (re-armed) until the group says go.
        t.set({ wantMaster: true });
        t.arm('masterDown', t.now + masterDownMs(t.s));
        return;
      }
      // Why: the master released (priority 0), we preempt a lower priority, or it went silent.
      becomeMaster(
        t,
        t.s.masterPriority === 0
          ? 'priorityZero'
          : t.s.masterPriority !== undefined && t.s.masterPriority < t.s.effectivePriority
            ? 'preempted'
            : 'masterDown',
      );
      return;
    case 'advert':
      if (name === 'master') {
        t.advert(t.s.effectivePriority);
        t.arm('advert', t.now + c.advertIntMs);
        if (t.s.rogueCounter > 0) {
          const left = t.s.rogueCounter - 1;
          t.set({ rogueCounter: left });
          if (left === 0) t.arm('rogue', t.now + 1.2 * Math.max(t.s.rogueAdverIntMs, c.advertIntMs));
        }
      }
      return;
    case 'rogue':
      return; // the other owner backed off in time
    case 'garpDelayed':
      if (name === 'master')
        t.push({ type: 'sendGarp', phase: 'masterDelayed', repeat: c.garp.masterRepeat });
      return;
    case 'garpRefresh':
      if (name === 'master') {
        t.push({ type: 'sendGarp', phase: 'refresh', repeat: c.garp.masterRefreshRepeat });
        t.arm('garpRefresh', t.now + c.garp.masterRefreshMs);
      }
      return;
    case 'garpLowerPrioDelayed':
      if (name === 'master') {
        t.push({ type: 'sendGarp', phase: 'lowerPrioDelayed', repeat: c.garp.lowerPrioRepeat });
      }
      return;
  }
}

/** Re-evaluate fault and priority after a link, tracking or sync-fault change. */
function reevaluate(t: Tx, prev: MachineState): void {
  const s = t.s;
  const changed = s.effectivePriority !== prev.effectivePriority;
  if (changed) t.push({ type: 'priorityChanged', from: prev.effectivePriority, to: s.effectivePriority });
  if (s.name === 'init' || s.name === 'stop') return;
  if (wantsFault(s)) {
    if (s.name !== 'fault') enterFault(t, 'fault');
    return;
  }
  if (s.name === 'fault') {
    startup(t, 'faultCleared');
    return;
  }
  // keepalived vrrp_set_effective_priority: a backup's running down timer moves by the change of
  // Master_Down_Interval (the skew depends on the effective priority).
  const at = s.timers.masterDown;
  if (changed && s.name === 'backup' && at !== undefined) {
    t.arm('masterDown', Math.max(t.now, at + masterDownMs(s) - masterDownMs(prev)));
  }
}

/**
 * The reducer. Events that do not apply in the current state are ignored (no actions);
 * `stop` absorbs everything.
 */
export function step(state: MachineState, event: MachineEvent, now: number): StepResult {
  const t = new Tx(state, now);
  if (state.name === 'stop') return t.result();
  switch (event.type) {
    case 'start': {
      if (state.name !== 'init' || state.timers.startupDelay !== undefined) break;
      if (event.adopt && !wantsFault(state)) becomeMaster(t, 'adopted');
      else if (state.config.startupDelayMs > 0) t.arm('startupDelay', now + state.config.startupDelayMs);
      else startup(t, 'start');
      break;
    }
    case 'advert': {
      if (state.name !== 'backup' && state.name !== 'master') break;
      t.push({ type: 'count', counter: 'advertRcvd' });
      if (event.advert.priority === 0) t.push({ type: 'count', counter: 'priZeroRcvd' });
      if (state.name === 'backup') backupAdvert(t, event.advert);
      else masterAdvert(t, event.advert);
      break;
    }
    case 'timer':
      onTimer(t, event.which);
      break;
    case 'link': {
      t.set({ linkUp: event.up });
      reevaluate(t, state);
      break;
    }
    case 'drill': {
      if (event.hold === state.drillHold || state.config.priority === 255) break;
      const held = { ...state, drillHold: event.hold };
      t.set({ drillHold: event.hold, effectivePriority: ownPriority(held, state.trackDelta) });
      // Priority 0, then at once the held priority: a preempting peer ignores the second (lower than
      // its own) and takes over after its skew time; a nopreempt peer accepts it as the master's
      // advert and stays BACKUP, however late this node's next regular advert would be.
      if (event.hold && state.name === 'master') {
        t.advert(0);
        t.advert(t.s.effectivePriority);
      }
      reevaluate(t, state);
      break;
    }
    case 'tracking': {
      t.set({
        trackDelta: event.delta,
        trackFault: event.fault,
        // An owner's priority never follows trackers (it may be 254 while a duplicate owner is seen).
        effectivePriority: ownPriority(state, event.delta),
      });
      reevaluate(t, state);
      break;
    }
    case 'sync': {
      if (event.to === 'fault' || event.to === 'faultCleared') {
        t.set({ syncFault: event.to === 'fault' });
        reevaluate(t, state);
      } else if (event.to === 'master' && state.name === 'backup') {
        becomeMaster(t, 'syncGroup');
      } else if (event.to === 'backup' && state.name === 'master') {
        leaveMaster(t, 'backup', 'syncGroup');
        t.set({ masterAdverIntMs: state.config.advertIntMs });
        t.arm('masterDown', now + masterDownMs(t.s));
      }
      break;
    }
    case 'shutdown': {
      if (state.name === 'master') {
        t.advert(0);
        leaveMaster(t, 'stop', 'shutdown');
      } else {
        t.notify('stop', 'shutdown');
      }
      t.cancel(...(Object.keys(t.s.timers) as TimerName[]));
      break;
    }
  }
  return t.result();
}

/**
 * Reload (SIGHUP) as keepalived does it: the instance keeps its state under the new config. A
 * master stays master (`reload_master`: it advertises at once, no notify, no VIP actions — the shell
 * diffs the VIPs itself); a backup keeps its Master_Down deadline and learned interval; fault and
 * tracker/link inputs carry over. Only for the same instance (same VRID, family and interface);
 * anything else is a removal (shutdown) plus a new machine.
 */
export function carryOver(prev: MachineState, config: MachineConfig, now: number): StepResult {
  const fresh = initMachine(config);
  const carried: MachineState = {
    ...fresh,
    name: prev.name,
    trackDelta: prev.trackDelta,
    trackFault: prev.trackFault,
    linkUp: prev.linkUp,
    syncFault: prev.syncFault,
    drillHold: prev.drillHold,
    effectivePriority:
      config.priority === 255
        ? 255
        : prev.drillHold
          ? 1
          : effectivePriority(config.priority, prev.trackDelta),
    masterAdverIntMs:
      prev.name === 'backup' && config.version === 3 ? prev.masterAdverIntMs : config.advertIntMs,
    masterSrc: prev.masterSrc,
    masterPriority: prev.masterPriority,
    preemptAt: prev.preemptAt,
  };
  const t = new Tx(carried, now);
  if (carried.effectivePriority !== prev.effectivePriority) {
    t.push({ type: 'priorityChanged', from: prev.effectivePriority, to: carried.effectivePriority });
  }
  switch (prev.name) {
    case 'master':
      t.advert(carried.effectivePriority);
      t.arm('advert', now + config.advertIntMs);
      if (prev.timers.garpDelayed !== undefined && config.garp.masterDelayMs > 0) {
        t.arm('garpDelayed', prev.timers.garpDelayed);
      }
      if (config.garp.masterRefreshMs > 0) t.arm('garpRefresh', now + config.garp.masterRefreshMs);
      break;
    case 'backup':
      t.arm('masterDown', prev.timers.masterDown ?? now + masterDownMs(carried));
      break;
    case 'init':
      if (prev.timers.startupDelay !== undefined) t.arm('startupDelay', prev.timers.startupDelay);
      break;
    case 'fault':
    case 'stop':
      break;
  }
  return t.result();
}
