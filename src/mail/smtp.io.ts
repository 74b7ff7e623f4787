// SPDX-License-Identifier: Apache-2.0
/**
 * The SMTP transport of e-mail alerts, on nodemailer: one plain SMTP connection per message to
 * `smtp_server` (as keepalived: no authentication, no STARTTLS, HELO/EHLO with `smtp_helo_name`),
 * `smtp_connect_timeout` for the connection, the greeting and each reply. Also the host facts the
 * defaults need (keepalived: `notification_email_from` = user@host, `smtp_helo_name` = host).
 */
import { hostname, userInfo } from 'node:os';
import type { Transporter } from 'nodemailer';
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
  // nodemailer (~65 ms and ~40 modules to load) is loaded with the first message, not at every start
  let transporter: Transporter | undefined;
  const open = async (): Promise<Transporter> => {
    if (transporter) return transporter;
    const { createTransport } = await import('nodemailer');
    transporter = createTransport({
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
    return transporter;
  };
  return {
    async send(m: OutgoingMail): Promise<void> {
      await (
        await open()
      ).sendMail({
        from: m.from,
        to: [...m.to],
        subject: m.subject,
        text: m.text,
        xMailer: 'lvsd',
      });
    },
    close: () => transporter?.close(),
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
