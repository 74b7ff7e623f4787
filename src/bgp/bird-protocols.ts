// SPDX-License-Identifier: Apache-2.0
/**
 * BIRD's `show protocols` reply, as its control socket sends it, parsed into BGP sessions. Pure.
 * The control protocol sends lines of a four-digit code and `-` (more follows) or ` ` (last line);
 * a line starting with a space continues the previous code. `1002` lines are the table's rows:
 * `NAME PROTO TABLE STATE SINCE INFO...` (SINCE is one or two words, after the `timeformat`).
 */
import type { BgpSession } from './announcer.js';

/** Whether a reply is complete: its last line has a code and a space (`0000 `, `8001 ...`). */
export function replyComplete(text: string): boolean {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') return false;
  const last = lines.at(-2) ?? '';
  return /^\d{4} /.test(last);
}

/** The BGP rows of a `show protocols` reply; an error reply (8xxx, 9xxx) throws with its text. */
export function parseShowProtocols(text: string): BgpSession[] {
  const out: BgpSession[] = [];
  let code = '';
  for (const line of text.split('\n')) {
    const m = /^(\d{4})([- ])(.*)$/.exec(line);
    let body: string;
    if (m) {
      code = m[1] ?? '';
      body = m[3] ?? '';
      if (code.startsWith('8') || code.startsWith('9')) throw new Error(`BIRD: ${body.trim()}`);
    } else if (line.startsWith(' ')) body = line.slice(1);
    else continue;
    if (code !== '1002') continue;
    const row = protocolRow(body);
    if (row) out.push(row);
  }
  return out;
}

function protocolRow(body: string): BgpSession | undefined {
  const words = body.trim().split(/\s+/);
  const [name, proto, , state] = words;
  if (name === undefined || proto !== 'BGP' || state === undefined) return undefined;
  let i = 4;
  while (i < words.length && /^\d/.test(words[i] ?? '')) i++;
  const info = words.slice(i).join(' ');
  return { name, state, established: state === 'up' && /^Established\b/.test(info), info };
}
