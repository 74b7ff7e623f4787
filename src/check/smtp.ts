// SPDX-License-Identifier: Apache-2.0
/**
 * SMTP_CHECK's conversation, as keepalived's check_smtp.c holds it: read the greeting (220), send
 * `HELO name`, read the answer (250), send `QUIT`, read one more line (any). A reply line counts
 * only when it starts with exactly three digits followed by a space or nothing, so a multi-line
 * `220-` greeting fails, as in keepalived. Pure; smtp.io.ts carries it over a socket.
 */
import type { ProbeResult } from './result.js';

export type SmtpStage = 'banner' | 'helo' | 'quit';

/** The status code of one reply line, or -1 when the line does not start with one. */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

/** What to do after a line in `stage`: send a command and wait in the next stage, or finish. */
export function smtpStep(
  stage: SmtpStage,
  line: string,
  heloName: string,
): { next: SmtpStage; send: string } | { result: ProbeResult } {
  switch (stage) {
    case 'banner':
      return smtpStatus(line) === 220
        ? { next: 'helo', send: `HELO ${heloName}\r\n` }
        : { result: { ok: false, reason: `bad greeting banner: ${line.slice(0, 80)}` } };
    case 'helo':
      return smtpStatus(line) === 250
        ? { next: 'quit', send: 'QUIT\r\n' }
        : { result: { ok: false, reason: `bad HELO response: ${line.slice(0, 80)}` } };
    case 'quit':
      return { result: { ok: true } };
  }
}

/** Longest reply line read (keepalived's buffer is 512 bytes). */
export const SMTP_MAX_LINE = 512;
