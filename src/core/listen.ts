// SPDX-License-Identifier: Apache-2.0
/**
 * A TCP listen address as an operator writes it: `ADDR:PORT`, `[IPv6]:PORT` (`lvsd run --metrics`,
 * the `lvsd_metrics` keyword). Pure.
 */
import { familyOf } from './addr.js';

export interface ListenAddress {
  /** The address as written, without brackets (`127.0.0.1`, `::1`). */
  readonly host: string;
  readonly port: number;
}

/** `ADDR:PORT` or `[ADDR6]:PORT` (port 1..65535), or the reason it is not one. */
export function parseListenAddress(text: string): ListenAddress | { error: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const fail = { error: `needs ADDRESS:PORT or [IPv6]:PORT (got ${text})` };
  if (!m) return fail;
  const [, host = '', portText = ''] = m;
  const port = Number(portText);
  // dotted quads only (ipaddr.js would also take `1.2.3`, which nobody means as a listen address)
  if (!familyOf(host) || (!host.includes(':') && !/^\d+\.\d+\.\d+\.\d+$/.test(host)))
    return { error: `not an IP address: ${host} (in ${text})` };
  if (text.startsWith('[') !== (familyOf(host) === 'inet6')) return fail;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { error: `port out of range 1-65535: ${portText}` };
  return { host, port };
}

/** As written back: `ADDR:PORT` or `[ADDR6]:PORT`. */
export function listenText(a: ListenAddress): string {
  return familyOf(a.host) === 'inet6' ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
