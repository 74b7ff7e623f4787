// SPDX-License-Identifier: Apache-2.0
/**
 * Trackers of a VRRP instance — track_interface (link state), vrrp_script results with rise/fall,
 * track_file values, track_process quorum — reduced to the one input the machine takes:
 * `{ delta, fault }`. Pure.
 * Weight rules (keepalived): a positive weight is added while the object is OK, a negative one is
 * added while it has failed; `reverse` negates the adjustment; weight 0 means FAULT while failed
 * (`weight 0 reverse`: FAULT while OK). track_file adds value × weight (at most 253); −254 or
 * less, or with weight 0 a non-zero value, means FAULT. The machine clamps the sum to 1..254
 * (owner: 255). A vrrp_script that has not reported yet (no `init_fail`) adds nothing, holds a
 * weight-0 instance in FAULT, and its first result counts at once (keepalived: result = rise − 1).
 * A track_process is pending the same way until the first scan of /proc (process-tracking.ts) says
 * whether its quorum is met; the engine runs that scan before its instances start.
 */

export type TrackerKind = 'interface' | 'script' | 'file' | 'process';

export interface TrackerSpec {
  readonly kind: TrackerKind;
  /** Interface name, vrrp_script name, track_file name or vrrp_track_process name. */
  readonly name: string;
  /** -253..253. */
  readonly weight: number;
  readonly reverse: boolean;
  /** Scripts: consecutive results needed to change state [1]. */
  readonly rise?: number;
  readonly fall?: number;
  /** Scripts: start failed (`init_fail`) [false]. Interfaces start up, files at 0, until told. */
  readonly initFail?: boolean;
}

export interface TrackerState {
  readonly spec: TrackerSpec;
  /** Interface up / script OK / process quorum met. Files: unused (true). */
  readonly ok: boolean;
  /** Scripts: consecutive results contradicting `ok` so far. */
  readonly streak: number;
  /** Scripts: no result yet (and no `init_fail`); processes: not scanned yet. */
  readonly pending: boolean;
  /** Files: the last value read. */
  readonly value: number;
}

/** One observation from the shell. */
export type TrackerInput =
  | { readonly kind: 'interface'; readonly name: string; readonly up: boolean }
  /** A vrrp_script run finished: exit 0 = ok; non-zero, a signal or the timeout = not ok. */
  | { readonly kind: 'script'; readonly name: string; readonly ok: boolean }
  | { readonly kind: 'file'; readonly name: string; readonly value: number }
  /** A vrrp_track_process's quorum is met (`up`) or not. */
  | { readonly kind: 'process'; readonly name: string; readonly up: boolean };

/** The aggregate fed to the machine as `{ type: 'tracking', ...output }`. */
export interface TrackerOutput {
  readonly delta: number;
  readonly fault: boolean;
}

export function initTracker(spec: TrackerSpec): TrackerState {
  if (spec.kind === 'process') return { spec, ok: false, streak: 0, value: 0, pending: true };
  const script = spec.kind === 'script';
  return { spec, ok: script ? !spec.initFail : true, streak: 0, value: 0, pending: script && !spec.initFail };
}

export function initTrackers(specs: readonly TrackerSpec[]): readonly TrackerState[] {
  return specs.map(initTracker);
}

/**
 * New specs on a reload: a track_process keeps what was last observed of the same process (the
 * runner's rescan follows at once) rather than going back to pending, which would put a weight-0
 * instance in FAULT for that moment; every other tracker starts afresh.
 */
export function reinitTrackers(
  old: readonly TrackerState[],
  specs: readonly TrackerSpec[],
): readonly TrackerState[] {
  return specs.map((spec) => {
    const prev = old.find(
      (t) => t.spec.kind === 'process' && spec.kind === 'process' && t.spec.name === spec.name,
    );
    return prev ? { ...prev, spec } : initTracker(spec);
  });
}

/** Apply one observation to one tracker (scripts honour rise/fall). */
export function applyToTracker(s: TrackerState, input: TrackerInput): TrackerState {
  switch (input.kind) {
    case 'interface':
      return { ...s, ok: input.up, streak: 0 };
    case 'process':
      return { ...s, ok: input.up, streak: 0, pending: false };
    case 'file':
      return { ...s, value: Number.isFinite(input.value) ? Math.trunc(input.value) : 0 };
    case 'script': {
      if (s.pending) return { ...s, ok: input.ok, streak: 0, pending: false };
      if (input.ok === s.ok) return s.streak === 0 ? s : { ...s, streak: 0 };
      const need = Math.max(1, (input.ok ? s.spec.rise : s.spec.fall) ?? 1);
      const streak = s.streak + 1;
      return streak >= need ? { ...s, ok: input.ok, streak: 0 } : { ...s, streak };
    }
  }
}

/** Apply an observation to every tracker it names; `changed` = some tracker's status or value changed. */
export function applyTrackerInput(
  trackers: readonly TrackerState[],
  input: TrackerInput,
): { trackers: readonly TrackerState[]; changed: boolean } {
  let changed = false;
  const next = trackers.map((t) => {
    if (t.spec.kind !== input.kind || t.spec.name !== input.name) return t;
    const n = applyToTracker(t, input);
    if (n.ok !== t.ok || n.value !== t.value || n.pending !== t.pending) changed = true;
    return n;
  });
  return { trackers: next, changed };
}

/** What one tracker contributes. */
export function trackerContribution(t: TrackerState): TrackerOutput {
  const { weight, reverse, kind } = t.spec;
  const sign = reverse ? -1 : 1;
  if (kind === 'file') {
    if (weight === 0) return { delta: 0, fault: (t.value !== 0) !== reverse };
    const status = t.value * weight * sign;
    return status <= -254 ? { delta: 0, fault: true } : { delta: Math.min(status, 253), fault: false };
  }
  if (t.pending) return { delta: 0, fault: weight === 0 };
  if (weight === 0) return { delta: 0, fault: t.ok === reverse };
  if (weight > 0) return { delta: t.ok ? weight * sign : 0, fault: false };
  return { delta: t.ok ? 0 : weight * sign, fault: false };
}

/** Sum of weights and whether any tracker demands FAULT. */
export function trackerOutput(trackers: readonly TrackerState[]): TrackerOutput {
  let delta = 0;
  let fault = false;
  for (const t of trackers) {
    const c = trackerContribution(t);
    delta += c.delta;
    fault ||= c.fault;
  }
  return { delta, fault };
}
