// SPDX-License-Identifier: Apache-2.0
/**
 * How an operator names a virtual or real server on the command line, and how `lvsd status`
 * prints one so that it can be pasted into `lvsd real drain VS RS`. Pure.
 *
 * Printed (and sent to the daemon): `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`, `fwmark:5` for a
 * virtual server; `10.0.0.2:80`, `[2001:db8::2]:80` for a real one. Read: those, and what lvsd's
 * logs, notify FIFO lines and older `lvsd status` print (keepalived's `[10.0.0.1]:tcp:80` and
 * `FWM 5`), and an `ipvsadm -Ln` service line's `TCP  10.0.0.1:80`.
 */
import { canonicalAddr, familyOf } from './addr.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export type ServerRef =
  | { kind: 'addr'; protocol: Protocol | undefined; address: string; port: number }
  | { kind: 'fwmark'; fwmark: number };

const proto = '(tcp|udp|sctp)';
const host = '(?:\\[([^\\]]+)\\]|([^:\\s\\[\\]]+))';
const port = '(\\d{1,5})';
/** lvsd's form: `[PROTO:]ADDR:PORT`, `[PROTO:][ADDR6]:PORT`. */
const lvsdForm = new RegExp(`^(?:${proto}:)?${host}:${port}$`);
/** keepalived's form (lvsd's logs and FIFO lines): `[ADDR]:PROTO:PORT`. */
const keepalivedForm = new RegExp(`^\\[([^\\]]+)\\]:${proto}:${port}$`);
/** ipvsadm's listing: `TCP  ADDR:PORT` (the scheduler after it, if pasted too, is ignored). */
const ipvsadmForm = new RegExp(`^${proto}\\s+${host}:${port}(?:\\s+\\S+)?$`);
const fwmarkForm = /^(?:fwmark:|fwm\s+)(\d+)$/;

function addrRef(protocol: string | undefined, address: string, portText: string): ServerRef | undefined {
  const n = Number(portText);
  if (familyOf(address) === undefined || n > 65535) return undefined;
  return {
    kind: 'addr',
    protocol: protocol as Protocol | undefined,
    address: canonicalAddr(address),
    port: n,
  };
}

/** The server `text` names, in any of the forms above; undefined when it names none. */
export function parseServerRef(text: string): ServerRef | undefined {
  const t = text.trim().toLowerCase();
  const fw = fwmarkForm.exec(t);
  if (fw) {
    const mark = Number(fw[1]);
    return mark >= 1 && mark <= 0xffffffff ? { kind: 'fwmark', fwmark: mark } : undefined;
  }
  const k = keepalivedForm.exec(t);
  if (k) return addrRef(k[2], k[1]!, k[3]!);
  const m = lvsdForm.exec(t) ?? ipvsadmForm.exec(t);
  return m ? addrRef(m[1], (m[2] ?? m[3])!, m[4]!) : undefined;
}

/** `ADDR:PORT` or `[ADDR6]:PORT`, with `PROTO:` before it when asked and known; `fwmark:N`. */
export function formatServerRef(ref: ServerRef, withProtocol: boolean): string {
  if (ref.kind === 'fwmark') return `fwmark:${ref.fwmark}`;
  const hostPort = ref.address.includes(':') ? `[${ref.address}]:${ref.port}` : `${ref.address}:${ref.port}`;
  return withProtocol && ref.protocol ? `${ref.protocol}:${hostPort}` : hostPort;
}

/** A virtual server's text in lvsd's form (with its protocol); the text itself when unreadable. */
export function virtualServerText(text: string): string {
  const ref = parseServerRef(text);
  return ref ? formatServerRef(ref, true) : text;
}

/** A real server's text in lvsd's form (no protocol: the virtual server has it). */
export function realServerText(text: string): string {
  const ref = parseServerRef(text);
  return ref?.kind === 'addr' ? formatServerRef(ref, false) : text;
}
