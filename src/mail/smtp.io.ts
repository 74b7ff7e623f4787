// SPDX-License-Identifier: Apache-2.0
/**
 * The SMTP transport of e-mail alerts, on nodemailer: one plain SMTP connection per message to
 * `smtp_server` (as keepalived: no authentication, no STARTTLS, HELO/EHLO with `smtp_helo_name`),
 * `smtp_connect_timeout` for the connection, the greeting and each reply. Also the host facts the
 * defaults need (keepalived: `notification_email_from` = user@host, `smtp_helo_name` = host).
 */
import { hostname, userInfo } from 'node:os';
import { createTransport } from 'nodemailer';
import type { MailTransport, OutgoingMail } from './queue.js';

export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  /** EHLO/HELO name. */
  readonly heloName: string;
  readonly timeoutMs: number;
}

/** A MailTransport that delivers each message in its own SMTP session. */
export function smtpTransport(t: SmtpTarget): MailTransport {
  const transporter = createTransport({
    host: t.host,
    port: t.port,
    secure: false,
    ignoreTLS: true,
    name: t.heloName,
    connectionTimeout: t.timeoutMs,
    greetingTimeout: t.timeoutMs,
    socketTimeout: t.timeoutMs,
    dnsTimeout: t.timeoutMs,
  });
  return {
    async send(m: OutgoingMail): Promise<void> {
      await transporter.sendMail({
        from: m.from,
        to: [...m.to],
        subject: m.subject,
        text: m.text,
        xMailer: 'lvsd',
      });
    },
    close: () => transporter.close(),
  };
}

/** keepalived's defaults from the host: `user@hostname` and the host name. */
export function mailHostDefaults(): { from: string; heloName: string } {
  const host = hostname();
  let user = 'root';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for our uid: keepalived then sets no default either; root@ is the likely sender
  }
  return { from: `${user}@${host}`, heloName: host };
}
