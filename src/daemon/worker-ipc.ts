// SPDX-License-Identifier: Apache-2.0
/**
 * Messages between the supervisor and its workers over the fork() IPC channel. A worker started by
 * hand (`lvsd run --vrrp-only` in a terminal or under systemd directly) has no channel: then
 * `reportReady` / `reportReloaded` tell systemd themselves.
 * Worker → supervisor: ready, reloaded (with the outcome), pong (answer to a ping: the worker's
 * event loop runs), status (a one-line summary for systemd's STATUS=), vrrpState (a VRRP instance
 * entered a state: the VRRP worker reports it, the supervisor relays it to the other workers).
 * crashHandoff (the VRRP worker, every 250 ms while it is MASTER: what its successor adopts should it
 * die without handing over; the supervisor writes it then: vrrp/handoff.ts crashHandoffRecord).
 * Supervisor → worker: ping, vrrpState (relayed; the last state of every instance is replayed to a
 * worker when it says ready, so a restarted LVS worker learns the current states), modelReady (to a
 * worker forked before the config was validated, `--await-model`: the model file is written).
 */
import type { HandoffRecord } from '../vrrp/handoff.js';
import { sdNotify } from './systemd.js';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'reloaded'; ok: boolean; error?: string; summary?: unknown }
  | { type: 'pong'; id: number }
  | { type: 'status'; text: string }
  | VrrpStateMessage
  | CrashHandoffMessage;

/**
 * The VRRP worker's handoff record should it die now: its `at`, and its `instances` when they
 * changed since the last message (none: as before; empty: no MASTER instance to adopt).
 */
export interface CrashHandoffMessage {
  type: 'crashHandoff';
  at: number;
  instances?: HandoffRecord['instances'];
}

/** A VRRP instance entered `state` (MASTER, BACKUP, FAULT or STOP). */
export interface VrrpStateMessage {
  type: 'vrrpState';
  instance: string;
  state: string;
}

export type SupervisorMessage = { type: 'ping'; id: number } | { type: 'modelReady' } | VrrpStateMessage;

/**
 * Send on a fork() channel without an 'error' event: a write to a channel whose other end just died
 * (EPIPE, before this event loop has seen it close) goes to the callback, dropped here. Without one,
 * Node emits it as 'error' on `process` (or on the ChildProcess), which nobody handles: a VRRP worker
 * whose supervisor was SIGKILLed crashed in the middle of its release, reporting the STOP state,
 * and left its VIPs on the interface (test/netns/daemon/failsafe.test.ts).
 */
export function sendQuietly(
  channel: { send?: (m: WorkerMessage | SupervisorMessage, callback: (e: Error | null) => void) => boolean },
  msg: WorkerMessage | SupervisorMessage,
): boolean {
  return channel.send?.(msg, dropChannelError) ?? false;
}

/** The channel is gone: its 'disconnect' / the child's 'exit' handlers act on that, not this. */
const dropChannelError = (): void => {};

/**
 * `then` once a worker that has exited has had its last messages read: at its exit some may still be
 * unread in the IPC channel (a crash handoff record sent just before a SIGKILL is read after the
 * 'exit' on a loaded machine), and 'close' comes once the channel is read to its end. Bounded by
 * `boundMs`: the channel's descriptor is close-on-exec, so no process the worker started holds it
 * open, but a wait here delays the worker's restart.
 */
export function afterLastMessage(
  child: { once(event: 'close', listener: () => void): unknown },
  then: () => void,
  boundMs = 1000,
): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    clearTimeout(bound);
    then();
  };
  const bound = setTimeout(once, boundMs);
  child.once('close', once);
}

function send(msg: WorkerMessage): boolean {
  if (typeof process.send !== 'function' || !process.connected) return false;
  return sendQuietly(process, msg);
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

/** The VRRP worker: an instance entered a state (false when there is no supervisor to tell). */
export function reportVrrpState(instance: string, state: string): boolean {
  return send({ type: 'vrrpState', instance, state });
}

/**
 * The VRRP worker: every `everyMs` while supervised, the record its successor adopts should it die
 * now (`current`; undefined: nothing to adopt), its instances sent only when they change; returns
 * the stop. A standalone worker has nobody to write it.
 */
export function reportCrashHandoff(
  current: (nowWallMs: number) => HandoffRecord | undefined,
  everyMs = 250,
): () => void {
  if (!supervised()) return () => {};
  let sent = '[]';
  const timer = setInterval(() => {
    const r = current(Date.now());
    const instances = r?.instances ?? [];
    const key = JSON.stringify(instances);
    if (instances.length === 0 && key === sent) return; // nothing to adopt, and the supervisor knows
    send({ type: 'crashHandoff', at: r?.at ?? 0, ...(key !== sent ? { instances } : {}) });
    sent = key;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The supervisor's record after a `crashHandoff` message (`prev`: the one before; undefined: none). */
export function nextCrashHandoff(
  prev: HandoffRecord | undefined,
  m: CrashHandoffMessage,
): HandoffRecord | undefined {
  const instances = m.instances ?? prev?.instances ?? [];
  return instances.length > 0 ? { version: 1, at: m.at, instances } : undefined;
}

/** VRRP state reports relayed by the supervisor; returns the unsubscribe. */
export function onVrrpState(fn: (instance: string, state: string) => void): () => void {
  const onMessage = (m: unknown): void => {
    if (isSupervisorMessage(m) && m.type === 'vrrpState') fn(m.instance, m.state);
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** Answer the supervisor's pings from this event loop (the supervisor feeds the watchdog with them). */
export function answerPings(): () => void {
  const onMessage = (m: unknown): void => {
    if (isSupervisorMessage(m) && m.type === 'ping') send({ type: 'pong', id: m.id });
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/**
 * A worker forked before its config was validated (`--await-model`) waits here: true once the
 * supervisor says the model file is written, false when the channel closes first (the supervisor
 * is gone, or it dismissed this worker: the config needs none or is invalid).
 */
export function modelReady(): Promise<boolean> {
  return new Promise((resolve) => {
    if (!supervised()) {
      resolve(false);
      return;
    }
    const done = (ok: boolean): void => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      resolve(ok);
    };
    const onMessage = (m: unknown): void => {
      if (isSupervisorMessage(m) && m.type === 'modelReady') done(true);
    };
    const onDisconnect = (): void => done(false);
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
  });
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

function isSupervisorMessage(m: unknown): m is SupervisorMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'ping' || t === 'modelReady') return true;
  const v = m as { instance?: unknown; state?: unknown };
  return t === 'vrrpState' && typeof v.instance === 'string' && typeof v.state === 'string';
}
