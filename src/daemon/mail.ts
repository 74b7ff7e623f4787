// SPDX-License-Identifier: Apache-2.0
/**
 * E-mail alerts of a worker: the mail queue (src/mail/queue.ts) with an SMTP transport
 * (src/mail/smtp.io.ts) configured from the Model's `global.smtp` and `router_id`, following reloads,
 * and drained for a moment at stop (so the STOP / shutting-down alerts can still go). Composition
 * only.
 */
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { MailQueue, type MailSettings, type MailTransport } from '../mail/queue.js';
import { mailHostDefaults, smtpTransport, type SmtpTarget } from '../mail/smtp.io.js';
import { realTimers } from './clock.js';

/** How long a stopping worker lets queued alerts go out. */
const STOP_DRAIN_MS = 2000;

export interface WorkerMail {
  readonly queue: MailQueue;
  /** Follow a reloaded Model (server, recipients, router_id). */
  configure(m: Model): void;
  /** Let queued alerts go for up to 2 s, then close. */
  stop(): Promise<void>;
}

export function workerMail(model: Model, log: Logger): WorkerMail {
  const queue = new MailQueue({ log: log.child({ part: 'mail' }), timers: realTimers });
  let target = '';
  let transport: MailTransport | undefined;
  const configure = (m: Model): void => {
    const s = m.global.smtp;
    if (!s?.server || s.to.length === 0) {
      queue.configure(undefined);
      target = '';
      transport = undefined;
      return;
    }
    const host = mailHostDefaults();
    const t: SmtpTarget = {
      host: s.server.host,
      port: s.server.port,
      heloName: s.heloName ?? host.heloName,
      timeoutMs: s.connectTimeoutMs,
    };
    if (JSON.stringify(t) !== target || !transport) {
      target = JSON.stringify(t);
      transport = smtpTransport(t);
    }
    const settings: MailSettings = {
      routerId: m.global.routerId,
      from: s.from ?? host.from,
      to: s.to,
      noEmailFaults: s.noEmailFaults,
      noCheckerEmails: s.noCheckerEmails,
      transport,
    };
    queue.configure(settings);
  };
  configure(model);
  return {
    queue,
    configure,
    async stop() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        queue.whenIdle(),
        new Promise<void>((r) => {
          timer = setTimeout(r, STOP_DRAIN_MS);
        }),
      ]);
      clearTimeout(timer);
      queue.close();
    },
  };
}
