// SPDX-License-Identifier: Apache-2.0
/**
 * Frame injector for hostile-packet netns tests: `node dist/test/netns/inject.js IFNAME HEXFRAME...`
 * sends each full Ethernet frame once through AF_PACKET (so TTL, checksum and lengths are exactly
 * as crafted). Runs inside a test namespace; prints `sent N`.
 */
import { PacketSocket, ifNameToIndex } from '../../src/net/raw-socket.io.js';

const [ifname, ...frames] = process.argv.slice(2);
const ifindex = ifNameToIndex(ifname ?? '');
if (!ifindex) {
  process.stderr.write(`inject: no interface ${ifname ?? ''}\n`);
  process.exit(2);
}
const s = PacketSocket.open({ ifindex });
let n = 0;
for (const hex of frames) n += s.send(Buffer.from(hex, 'hex')) > 0 ? 1 : 0;
s.close();
process.stdout.write(`sent ${n}\n`);
