// SPDX-License-Identifier: Apache-2.0
/**
 * Messages between the supervisor and its workers over the fork() IPC channel. A worker started by
 * hand (`lvsd run --vrrp-only` in a terminal or under systemd directly) has no channel: then
 * `reportReady` / `reportReloaded` tell systemd themselves.
 * Worker → supervisor: ready, reloaded (with the outcome), pong (answer to a ping: the worker's
 * event loop runs), status (a one-line summary for systemd's STATUS=).
 * Supervisor → worker: ping.
 */
import { sdNotify } from './systemd.js';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'reloaded'; ok: boolean; error?: string; summary?: unknown }
  | { type: 'pong'; id: number }
  | { type: 'status'; text: string };

export type SupervisorMessage = { type: 'ping'; id: number };

function send(msg: WorkerMessage): boolean {
  if (typeof process.send !== 'function' || !process.connected) return false;
  process.send(msg);
  return true;
}

/** Whether this process was started by the supervisor (it has the IPC channel). */
export function supervised(): boolean {
  return typeof process.send === 'function' && process.connected;
}

/** Call once the worker is running (sockets open, first config applied). */
export function reportReady(): void {
  if (!send({ type: 'ready' })) sdNotify(['READY=1']);
}

/** Call after handling SIGHUP: whether the new config is now in force, and what changed. */
export function reportReloaded(ok: boolean, error?: string, summary?: unknown): void {
  const msg: WorkerMessage = {
    type: 'reloaded',
    ok,
    ...(error === undefined ? {} : { error }),
    ...(summary === undefined ? {} : { summary }),
  };
  if (!send(msg)) sdNotify(ok ? ['READY=1'] : ['READY=1', `STATUS=reload failed: ${error ?? 'unknown'}`]);
}

/** A one-line summary of the worker's state (systemd STATUS= when standalone). */
export function reportStatus(text: string): void {
  if (!send({ type: 'status', text })) sdNotify([`STATUS=${text}`]);
}

/** Answer the supervisor's pings from this event loop (the supervisor feeds the watchdog with them). */
export function answerPings(): () => void {
  const onMessage = (m: unknown): void => {
    if (isSupervisorMessage(m) && m.type === 'ping') send({ type: 'pong', id: m.id });
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

function isSupervisorMessage(m: unknown): m is SupervisorMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ping';
}
