// SPDX-License-Identifier: Apache-2.0
/**
 * Messages between the supervisor and its workers over the fork() IPC channel. A worker started by
 * hand (`lvsd run --vrrp-only` in a terminal or under systemd directly) has no channel: then
 * `reportReady` tells systemd itself.
 */
import { sdNotify } from './systemd.js';

export type WorkerMessage = { type: 'ready' } | { type: 'reloaded'; ok: boolean; error?: string };

function send(msg: WorkerMessage): boolean {
  if (typeof process.send !== 'function' || !process.connected) return false;
  process.send(msg);
  return true;
}

/** Call once the worker is running (sockets open, first config applied). */
export function reportReady(): void {
  if (!send({ type: 'ready' })) sdNotify(['READY=1']);
}

/** Call after handling SIGHUP: whether the new config is now in force. */
export function reportReloaded(ok: boolean, error?: string): void {
  const msg: WorkerMessage = error === undefined ? { type: 'reloaded', ok } : { type: 'reloaded', ok, error };
  if (!send(msg)) sdNotify(ok ? ['READY=1'] : ['READY=1', `STATUS=reload failed: ${error ?? 'unknown'}`]);
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
