// SPDX-License-Identifier: Apache-2.0
/**
 * The mail queue behind the `MailAlerts` port: an alert is formatted (alerts.ts) and queued at once,
 * and sent later, one message at a time, through a `MailTransport` (mail/smtp.io.ts: nodemailer).
 * The caller never waits: `alert()` only pushes and arms a zero-delay timer, so a VRRP transition
 * or a checker result is never held up by DNS, a TCP connect or a slow SMTP server. The queue is
 * bounded (an SMTP server that is down cannot grow memory); what is dropped or fails is logged and
 * counted. It applies keepalived's filters that need the global settings: `no_email_faults`, one
 * mail per VRRP state (a state is not mailed twice in a row), `no_checker_emails`. Pure: the
 * transport, timers and logger are injected.
 */
import type { TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { alertText, type MailAlert, type MailAlerts } from './alerts.js';

/** One message as the transport sends it (the transport adds Date and Message-ID). */
export interface OutgoingMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

export interface MailTransport {
  /** Send one message; rejects with the reason it was not accepted. */
  send(m: OutgoingMail): Promise<void>;
  close?(): void;
}

/** What the queue needs of the configuration (from the Model's SmtpSettings, defaults filled in). */
export interface MailSettings {
  readonly routerId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly noEmailFaults: boolean;
  readonly noCheckerEmails: boolean;
  readonly transport: MailTransport;
}

export interface MailQueueOptions {
  readonly log: Logger;
  readonly timers: Timers;
  /** Messages waiting at most; more are dropped (counted) [100]. */
  readonly maxQueued?: number;
}

export interface MailCounters {
  queued: number;
  sent: number;
  failed: number;
  dropped: number;
  /** Alerts not mailed by keepalived's rules (same state again, no_email_faults, no_checker_emails). */
  filtered: number;
}

export class MailQueue implements MailAlerts {
  readonly counters: MailCounters = { queued: 0, sent: 0, failed: 0, dropped: 0, filtered: 0 };
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #max: number;
  readonly #waiting: Array<{ mail: OutgoingMail; transport: MailTransport }> = [];
  /** The VRRP state last mailed per instance/group (keepalived's last_email_state). */
  readonly #lastState = new Map<string, string>();
  #settings: MailSettings | undefined;
  #timer: TimerHandle | undefined;
  #sending = false;
  #dropping = false;
  #idle: Array<() => void> = [];

  constructor(o: MailQueueOptions) {
    this.#log = o.log;
    this.#timers = o.timers;
    this.#max = o.maxQueued ?? 100;
  }

  /** Take new settings (start, reload); `undefined` = no mail (no server or no recipients). */
  configure(s: MailSettings | undefined): void {
    const old = this.#settings?.transport;
    this.#settings = s;
    // messages already queued keep the transport they were queued with; close the old one after them
    if (old && old !== s?.transport) void this.whenIdle().then(() => old.close?.());
  }

  get enabled(): boolean {
    return this.#settings !== undefined;
  }

  alert(a: MailAlert): void {
    const s = this.#settings;
    if (!s) return;
    if (!this.#wanted(a, s)) {
      this.counters.filtered++;
      return;
    }
    if (this.#waiting.length >= this.#max) {
      this.counters.dropped++;
      if (!this.#dropping)
        this.#log.warn('e-mail queue full: alerts dropped', { queued: this.#waiting.length });
      this.#dropping = true;
      return;
    }
    const { subject, body } = alertText(s.routerId, a);
    this.#waiting.push({
      mail: { from: s.from, to: s.to, subject, text: `${body}\r\n` },
      transport: s.transport,
    });
    this.counters.queued++;
    this.#kick();
  }

  /** Resolves once nothing is queued or being sent (tests, a graceful stop). */
  whenIdle(): Promise<void> {
    if (!this.#sending && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Stop: queued messages are dropped (counted), the one being sent may finish; the transport is closed. */
  close(): void {
    this.counters.dropped += this.#waiting.length;
    this.#waiting.length = 0;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const t = this.#settings?.transport;
    this.#settings = undefined;
    t?.close?.();
  }

  /** keepalived's rules for whether an alert is mailed at all. */
  #wanted(a: MailAlert, s: MailSettings): boolean {
    if (a.kind === 'realServer') return a.rsChanged || !s.noCheckerEmails;
    if (a.kind === 'virtualServer') return true;
    if (s.noEmailFaults && a.state === 'FAULT') return false;
    const key = `${a.kind}|${a.name}`;
    if (this.#lastState.get(key) === a.state) return false;
    this.#lastState.set(key, a.state);
    return true;
  }

  /** Send on a later turn of the event loop, never inside the caller's. */
  #kick(): void {
    if (this.#sending || this.#timer) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, 0);
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      this.#dropping = false;
      try {
        await next.transport.send(next.mail);
        this.counters.sent++;
      } catch (e) {
        this.counters.failed++;
        this.#log.error('e-mail alert not sent', {
          subject: next.mail.subject,
          error: (e as Error).message,
          failed: this.counters.failed,
        });
      }
    }
    this.#sending = false;
    for (const r of this.#idle.splice(0)) r();
  }
}
