// SPDX-License-Identifier: Apache-2.0
/**
 * The inverse of the ipvsadm grammar: an `IpvsOp` as the ipvsadm arguments that perform it, as
 * ipvsadm -S writes them (what `lvsd ipvs apply` prints and errors name). Pure.
 */
import type { ForwardMethod, IpvsDestination, IpvsService, ServiceKey } from './model.js';
import { formatAddrPort } from './model.js';
import type { IpvsOp } from './ops.js';

/** `-t 10.0.0.1:80`, `-f 7 -6`, as ipvsadm -S writes them. */
export function serviceArgs(key: ServiceKey): string[] {
  if (key.kind === 'fwmark')
    return key.family === 'inet6' ? ['-f', String(key.fwmark), '-6'] : ['-f', String(key.fwmark)];
  const opt = key.protocol === 'tcp' ? '-t' : key.protocol === 'udp' ? '-u' : '--sctp-service';
  return [opt, formatAddrPort(key.family, key.address, key.port)];
}

function serviceOptions(s: IpvsService): string[] {
  const a = ['-s', s.scheduler];
  if (s.persistence) a.push('-p', String(s.persistence.timeout), '-M', String(s.persistence.netmask));
  if (s.persistenceEngine) a.push('--pe', s.persistenceEngine);
  if (s.flags.onePacket) a.push('-o');
  const fl: string[] = [];
  if (s.flags.flag1) fl.push('flag-1');
  if (s.flags.flag2) fl.push('flag-2');
  if (s.flags.flag3) fl.push('flag-3');
  if (fl.length) a.push('-b', fl.join(','));
  return a;
}

const methodSwitch: Record<ForwardMethod, string> = {
  masq: '-m',
  droute: '-g',
  local: '-g',
  tunnel: '-i',
  bypass: '-g',
};

function destOptions(d: IpvsDestination): string[] {
  const a = [
    '-r',
    formatAddrPort(d.family, d.address, d.port),
    methodSwitch[d.method],
    '-w',
    String(d.weight),
  ];
  if (d.upperThreshold) a.push('-x', String(d.upperThreshold));
  if (d.lowerThreshold) a.push('-y', String(d.lowerThreshold));
  if (d.method === 'tunnel' && d.tunnel) {
    a.push('--tun-type', d.tunnel.type);
    if (d.tunnel.type === 'gue') a.push('--tun-port', String(d.tunnel.port ?? 0));
    if (d.tunnel.type !== 'ipip') a.push(`--tun-${d.tunnel.checksum ?? 'nocsum'}`);
  }
  return a;
}

/** The ipvsadm arguments that perform `op` (what `lvsd ipvs apply --dry-run` prints). */
export function opToArgs(op: IpvsOp): string[] {
  switch (op.op) {
    case 'addService':
      return ['-A', ...serviceArgs(op.service.key), ...serviceOptions(op.service)];
    case 'editService':
      return ['-E', ...serviceArgs(op.service.key), ...serviceOptions(op.service)];
    case 'delService':
      return ['-D', ...serviceArgs(op.key)];
    case 'addDest':
      return ['-a', ...serviceArgs(op.key), ...destOptions(op.dest)];
    case 'editDest':
      return ['-e', ...serviceArgs(op.key), ...destOptions(op.dest)];
    case 'delDest':
      return [
        '-d',
        ...serviceArgs(op.key),
        '-r',
        formatAddrPort(op.dest.family, op.dest.address, op.dest.port),
      ];
    case 'flush':
      return ['-C'];
    case 'zero':
      return op.key ? ['-Z', ...serviceArgs(op.key)] : ['-Z'];
    case 'setTimeouts':
      return ['--set', String(op.timeouts.tcp), String(op.timeouts.tcpFin), String(op.timeouts.udp)];
    case 'startDaemon': {
      const d = op.daemon;
      const a = ['--start-daemon', d.state, '--mcast-interface', d.interface, '--syncid', String(d.syncId)];
      if (d.maxLen) a.push('--sync-maxlen', String(d.maxLen));
      if (d.group) a.push('--mcast-group', d.group);
      if (d.port) a.push('--mcast-port', String(d.port));
      if (d.ttl) a.push('--mcast-ttl', String(d.ttl));
      return a;
    }
    case 'stopDaemon':
      return ['--stop-daemon', op.state];
  }
}
