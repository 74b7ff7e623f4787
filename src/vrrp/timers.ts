// SPDX-License-Identifier: Apache-2.0
/**
 * VRRP timer math exactly as keepalived computes it (include/vrrp.h VRRP_TIMER_SKEW_CALC,
 * VRRP_MS_DOWN_TIMER): integer microseconds, returned as (fractional) milliseconds. Pure.
 * RFC 9568 names: Skew_Time, Active_Down_Interval (Master_Down_Interval), Active_Adver_Interval.
 */
import type { VrrpVersion } from './types.js';

/** The priority the skew is computed from: the owner always counts as 255 (keepalived). */
export function skewPriority(basePriority: number, effectivePriority: number): number {
  return basePriority === 255 ? 255 : effectivePriority;
}

/**
 * Skew_Time in µs. v3: ((256 − p) × (Master_Adver_Interval in cs) × 625) / 16, i.e. (256−p)/256 of
 * the interval; v2: (256 − p) / 256 s, independent of the advert interval (RFC 3768).
 */
export function skewTimeUs(version: VrrpVersion, priority: number, masterAdverIntMs: number): number {
  const p = 256 - priority;
  if (version === 3) {
    const cs = Math.floor(Math.round(masterAdverIntMs * 1000) / 10000);
    return Math.floor((p * cs * 625) / 16);
  }
  return Math.floor((p * 1000000) / 256);
}

/** Master_Down_Interval in µs: down_timer_adverts × Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalUs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntMs: number,
  downTimerAdverts = 3,
): number {
  return (
    downTimerAdverts * Math.round(masterAdverIntMs * 1000) + skewTimeUs(version, priority, masterAdverIntMs)
  );
}

/** Skew_Time in ms (fractional, µs resolution). */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntMs: number): number {
  return skewTimeUs(version, priority, masterAdverIntMs) / 1000;
}

/** Master_Down_Interval in ms (fractional, µs resolution). */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntMs: number,
  downTimerAdverts = 3,
): number {
  return masterDownIntervalUs(version, priority, masterAdverIntMs, downTimerAdverts) / 1000;
}
