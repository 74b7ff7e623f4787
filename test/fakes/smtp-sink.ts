// SPDX-License-Identifier: Apache-2.0
/**
 * A real SMTP server for tests (the `smtp-server` package) that accepts everything without
 * authentication or TLS and records each message as it arrived: the HELO name, the envelope and
 * the raw DATA with its headers parsed. Used in-process by the unit tests and, through
 * test/netns/smtp-sink.ts, inside a network namespace.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly helo: string;
  readonly from: string;
  readonly to: string[];
  /** Header names in lower case, values unfolded. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly raw: string;
}

export function parseMessage(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  readonly #server: SMTPServer;
  #port = 0;

  constructor(opts: { reject?: boolean } = {}) {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const env = session.envelope;
          this.messages.push({
            helo: session.hostNameAppearsAs,
            from: env.mailFrom ? env.mailFrom.address : '',
            to: env.rcptTo.map((r) => r.address),
            raw,
            ...parseMessage(raw),
          });
          done(opts.reject ? Object.assign(new Error('mailbox full'), { responseCode: 552 }) : null);
        });
      },
    });
  }

  async listen(host: string, port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    this.#port = (this.#server.server.address() as AddressInfo).port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}
