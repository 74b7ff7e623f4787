// SPDX-License-Identifier: Apache-2.0
/**
 * A tiny AF_PACKET sniffer (through lvsd's addon) for netns tests and the failover bench:
 * `node dist/test/netns/sniffer.js IFNAME` prints `ready`, then one JSON line per VRRP (also in
 * IPsec AH), ARP or ICMPv6 NA frame with the kernel receive time (realtime ms). Runs inside a namespace.
 */
import { addrText } from '../../src/core/addr.js';
import { ETH_P_ALL, PacketSocket, ifNameToIndex } from '../../src/net/raw-socket.io.js';

const ifname = process.argv[2] ?? 'br0';
const ifindex = ifNameToIndex(ifname);
if (!ifindex) {
  process.stderr.write(`sniffer: no interface ${ifname}\n`);
  process.exit(2);
}

const mac = (b: Buffer, o: number) =>
  [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

function classify(f: Buffer): Record<string, unknown> | undefined {
  if (f.length < 14) return undefined;
  const et = f.readUInt16BE(12);
  const srcMac = mac(f, 6);
  if (et === 0x0806 && f.length >= 42) {
    return { kind: 'arp', srcMac, target: addrText(f.subarray(38, 42)), src: addrText(f.subarray(28, 32)) };
  }
  if (et === 0x0800 && f.length >= 34) {
    const ihl = (f[14]! & 0x0f) * 4;
    // IPsec AH (protocol 51, keepalived's `auth_type AH`): the VRRP message follows the 24-byte AH header
    const ah = f[23] === 51 && f[14 + ihl] === 112;
    if ((f[23] !== 112 && !ah) || f.length < 14 + ihl + (ah ? 24 : 0) + 4) return undefined;
    const v = 14 + ihl + (ah ? 24 : 0);
    return {
      kind: ah ? 'ah4' : 'vrrp4',
      srcMac,
      src: addrText(f.subarray(26, 30)),
      vrid: f[v + 1],
      priority: f[v + 2],
      ttl: f[22],
    };
  }
  if (et === 0x86dd && f.length >= 58) {
    const nh = f[20];
    if (nh === 112 && f.length >= 58) {
      return {
        kind: 'vrrp6',
        srcMac,
        src: addrText(f.subarray(22, 38)),
        vrid: f[55],
        priority: f[56],
        ttl: f[21],
      };
    }
    if (nh === 58 && f[54] === 136 && f.length >= 78) {
      return {
        kind: 'na',
        srcMac,
        src: addrText(f.subarray(22, 38)),
        target: addrText(f.subarray(62, 78)),
      };
    }
  }
  return undefined;
}

const sock = PacketSocket.open({
  ifindex,
  ethertype: ETH_P_ALL,
  onFrame: ({ frame, tsMs, pktType }) => {
    if (pktType === 4) return; // our own outgoing copy on the bridge device
    const c = classify(frame);
    if (c)
      process.stdout.write(
        JSON.stringify({ ts: tsMs, ...c, hex: frame.subarray(0, 128).toString('hex') }) + '\n',
      );
  },
});
// keep the socket reachable (an unreferenced socket would be closed by its GC finalizer)
process.on('SIGTERM', () => {
  sock.close();
  process.exit(0);
});
process.stdout.write('ready\n');
