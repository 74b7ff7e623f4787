// SPDX-License-Identifier: Apache-2.0
/**
 * Name lookups for the ipvsadm-compatible CLI, as glibc's "files" backend answers them:
 * gethostbyaddr/gethostbyname from /etc/hosts, getservbyport/getservbyname from /etc/services
 * (first matching line wins, as in glibc). Reverse DNS is deliberately not attempted: a director
 * often has no resolver and ipvsadm falls back to numbers anyway. The parsers are pure; only
 * `loadNameResolver` reads files.
 */
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { ArgResolver } from './ipvsadm-args.js';
import type { NameResolver } from './format.js';
import type { IpvsProtocol } from './model.js';
import type { IpFamily } from '../core/addr.js';

export interface NameTables {
  /** canonical address -> first name */
  hostByAddr: Map<string, string>;
  /** name or alias -> IPv4 address (gethostbyname is IPv4-only in ipvsadm) */
  addrByHost: Map<string, string>;
  /** `port/proto` -> service name */
  serviceByPort: Map<string, string>;
  /** `name/proto` -> port (names and aliases) */
  portByService: Map<string, number>;
}

export function parseHosts(text: string, into: NameTables): void {
  for (const raw of text.split('\n')) {
    const [addr, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!addr || names.length === 0 || !ipaddr.isValid(addr)) continue;
    const canonical = ipaddr.parse(addr).toString();
    if (!into.hostByAddr.has(canonical)) into.hostByAddr.set(canonical, names[0]!);
    if (ipaddr.IPv4.isValidFourPartDecimal(addr)) {
      for (const n of names) if (!into.addrByHost.has(n)) into.addrByHost.set(n, canonical);
    }
  }
}

export function parseServices(text: string, into: NameTables): void {
  for (const raw of text.split('\n')) {
    const [name, portProto, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const m = portProto?.match(/^(\d+)\/(\w+)$/);
    if (!name || !m) continue;
    const key = `${m[1]}/${m[2]}`;
    if (!into.serviceByPort.has(key)) into.serviceByPort.set(key, name);
    for (const n of [name, ...aliases]) {
      const k = `${n}/${m[2]}`;
      if (!into.portByService.has(k)) into.portByService.set(k, Number(m[1]));
    }
  }
}

export function emptyNameTables(): NameTables {
  return { hostByAddr: new Map(), addrByHost: new Map(), serviceByPort: new Map(), portByService: new Map() };
}

/** Both resolver views over the same tables. */
export function resolverFromTables(t: NameTables): NameResolver & ArgResolver {
  return {
    host: (_family: IpFamily, address: string) => t.hostByAddr.get(address),
    service: (port: number, protocol: IpvsProtocol) => t.serviceByPort.get(`${port}/${protocol}`),
    hostToAddr: (name: string) => t.addrByHost.get(name),
    serviceToPort: (name: string, protocol: IpvsProtocol) => t.portByService.get(`${name}/${protocol}`),
  };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The resolver of this machine: /etc/hosts and /etc/services (missing files = no names). */
export function loadNameResolver(
  hosts = '/etc/hosts',
  services = '/etc/services',
): NameResolver & ArgResolver {
  const t = emptyNameTables();
  parseHosts(readOr(hosts), t);
  parseServices(readOr(services), t);
  return resolverFromTables(t);
}
