// SPDX-License-Identifier: Apache-2.0
/**
 * The two line shapes `ipvsadm -S -n` writes for every plain IPv4 service and NAT or
 * direct-routing real, read without the general ipvsadm parser (about 50 µs a line: a save file
 * of 100,000 reals): `-A -t|-u A.B.C.D:PORT -s SCHED` and
 * `-a -t|-u A.B.C.D:PORT -r A.B.C.D:PORT -m|-g -w WEIGHT`, in that order, numbers in canonical
 * decimal. Any other line (names, IPv6, fwmarks, other options or order) gets `undefined` and goes
 * to `parseIpvsadmArgs`, whose result this equals for every line it accepts (a unit test compares
 * them). Pure.
 */
import { canonicalQuadValue } from '../core/ipv4.js';
import { INT_MAX } from './ipvsadm-options.js';
import type { IpvsProtocol, ServiceKey } from './model.js';
import type { IpvsOp } from './ops.js';

const protocols: Readonly<Record<string, IpvsProtocol>> = { '-t': 'tcp', '-u': 'udp' };

/** A decimal without sign or leading zero, at most `max`; else undefined. */
function decimal(s: string, max: number): number | undefined {
  if (!/^(0|[1-9]\d{0,9})$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** `A.B.C.D:PORT` with a canonical quad; else undefined. */
function v4AddrPort(s: string): { address: string; port: number } | undefined {
  const c = s.indexOf(':');
  if (c < 0) return undefined;
  const address = s.slice(0, c);
  if (canonicalQuadValue(address) === undefined) return undefined;
  const port = decimal(s.slice(c + 1), 65535);
  return port === undefined ? undefined : { address, port };
}

export function parseSaveLineFast(args: readonly string[]): IpvsOp | undefined {
  const [verb, protoFlag, vip] = args;
  const protocol = protocols[protoFlag ?? ''];
  const v = vip === undefined ? undefined : v4AddrPort(vip);
  if (protocol === undefined || v === undefined || v.port === 0) return undefined;
  const key: ServiceKey = { kind: 'addr', family: 'inet', protocol, address: v.address, port: v.port };
  if (verb === '-A' && args.length === 5 && args[3] === '-s') {
    const sched = args[4]!;
    if (!/^[a-z][a-z0-9_]*$/.test(sched)) return undefined;
    return {
      op: 'addService',
      service: {
        key,
        scheduler: sched.slice(0, 15),
        flags: { flag1: false, flag2: false, flag3: false, onePacket: false },
      },
    };
  }
  if (verb !== '-a' || args.length !== 8 || args[3] !== '-r' || args[6] !== '-w') return undefined;
  const real = v4AddrPort(args[4]!);
  const method = args[5] === '-m' ? 'masq' : args[5] === '-g' ? 'droute' : undefined;
  const weight = decimal(args[7]!, INT_MAX);
  if (real === undefined || method === undefined || weight === undefined) return undefined;
  return {
    op: 'addDest',
    key,
    dest: {
      family: 'inet',
      address: real.address,
      // ipvsadm: a direct-routing real takes the service's port
      port: method === 'droute' ? v.port : real.port,
      method,
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
    },
  };
}
