// SPDX-License-Identifier: Apache-2.0
/**
 * The real ports of the VRRP engine (src/vrrp/ports.ts): raw IP sockets for adverts, AF_PACKET
 * sockets for GARP/NA, rtnetlink, the notifier with the configured FIFOs, script user and e-mail, the
 * tracker runner, the monotonic clock and real timers, /proc for the NA Router flag and the VMACs'
 * sysctls, and the nftables CLI for the VRRP table. Instance state changes are also reported to the
 * supervisor (worker-ipc.ts), which relays them.
 */
import { readFileSync } from 'node:fs';
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { MailAlerts } from '../mail/alerts.js';
import { IpRawSocket, PacketSocket } from '../net/raw-socket.io.js';
import { PreciseTimers } from '../net/precise-timers.io.js';
import { openRtnl } from '../netlink/rtnl-socket.io.js';
import { Notifier } from '../vrrp/notifier.io.js';
import { IPPROTO_VRRP } from '../vrrp/packet.js';
import { IPPROTO_AH } from '../vrrp/ipsec-ah.js';
import type { VrrpEnginePorts } from '../vrrp/ports.js';
import { monotonicClock, realTimers } from './clock.js';
import { startTrackers } from '../vrrp/trackers.io.js';
import { procSysctls } from '../net/sysctl.io.js';
import { runNftScript } from '../nft/nft-cli.io.js';
import { ScriptRunner } from '../script/runner.io.js';
import { reportVrrpState } from './worker-ipc.js';

/** IPv6 forwarding on an interface: the NA Router flag (keepalived reads the same sysctl). */
function ipv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/**
 * `notifyScripts`: the notifier's runner, which the worker keeps to apply a reloaded
 * `enable_script_security`; the trackers get a runner per Model (they restart on a reload).
 */
export function realVrrpPorts(
  model: Model,
  log: Logger,
  notifyScripts: ScriptRunner,
  mail?: MailAlerts,
): VrrpEnginePorts {
  const g = model.global;
  const fifos = [g.vrrpNotifyFifo?.path, g.notifyFifo?.path].filter((p): p is string => p !== undefined);
  return {
    clock: monotonicClock,
    timers: realTimers,
    defer: (fn) => void setImmediate(fn),
    preciseTimers: new PreciseTimers(monotonicClock),
    log,
    rtnl: openRtnl(),
    sockets: {
      openAdverts: (o) =>
        IpRawSocket.open({
          family: o.family,
          protocol: o.ah ? IPPROTO_AH : IPPROTO_VRRP,
          ...(o.ah ? { headerIncluded: true } : {}),
          ifname: o.ifname,
          ifindex: o.ifindex,
          groups: [o.group],
          onPacket: (p) => o.onPacket(p),
        }),
      openFrames: (ifindex) => PacketSocket.open({ ifindex }),
      openSender: (o) =>
        IpRawSocket.open({ family: o.family, protocol: IPPROTO_VRRP, ifname: o.ifname, ifindex: o.ifindex }),
    },
    notifier: new Notifier({
      log,
      fifos,
      runner: notifyScripts,
      ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}),
      // the supervisor relays instance states to the LVS worker (lvs_sync_daemon follows one)
      onStateChange: (t, state) => {
        if (t.kind === 'INSTANCE') reportVrrpState(t.name, state);
      },
      ...(mail ? { mail } : {}),
    }),
    trackers: (m, targets) =>
      startTrackers(m, targets, log, new ScriptRunner({ scriptSecurity: m.global.enableScriptSecurity })),
    host: { ipv6Forwarding },
    sysctl: procSysctls,
    nft: { run: runNftScript },
  };
}
