// SPDX-License-Identifier: Apache-2.0
/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram to $NOTIFY_SOCKET through the native addon.
 * A no-op when not started by systemd (no NOTIFY_SOCKET). Never throws: a failed notify is logged.
 */
import type { Logger } from '../core/log.js';
import { sendUnixDatagram } from '../net/raw-socket.io.js';

export type SdState =
  | 'READY=1'
  | 'RELOADING=1'
  | 'STOPPING=1'
  | 'WATCHDOG=1'
  | `STATUS=${string}`
  | `MONOTONIC_USEC=${string}`
  | `MAINPID=${string}`;

/** Send `READY=1`, `STOPPING=1`, ... (several lines joined by \n). Returns whether it was sent. */
export function sdNotify(
  states: readonly SdState[],
  log?: Logger,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const path = env['NOTIFY_SOCKET'];
  if (!path || states.length === 0) return false;
  try {
    sendUnixDatagram(path, states.join('\n'));
    return true;
  } catch (e) {
    log?.warn('sd_notify failed', { error: (e as Error).message });
    return false;
  }
}
