// SPDX-License-Identifier: Apache-2.0
/**
 * netlink@0.3.0's rtnetlink requests (its generated structs: routes, rules, links with their nested
 * attributes) over lvsd's own netlink socket. The library's `RtNetlinkSocket` formats each request
 * and parses each answer, and asks one thing of the socket under it: `request(type, payload,
 * {flags})` resolving with the answer's messages. `AckedRtSocket` does that on AckedRequests over
 * the addon's socket (socket.io.ts), so no library socket is ever opened: the library's own ends
 * the process on any socket error (socket.io.ts says how). Its errors keep the library's text
 * ("Request rejected: EEXIST"), which rtnl-errors.ts reads.
 */
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { RtNetlinkSocket } from 'netlink/dist/rt/rt.js';
import type { NetlinkSocket } from 'netlink/dist/netlink.js';
import { AckedRequests } from './acked-requests.js';
import { NLMSG_HDRLEN, NlFlags, errnoName, writeNlHeader } from './codec.js';
import { openNetlinkTransport } from './socket.io.js';
import { NETLINK_ROUTE } from './transport.js';

/** One answer message as the library's NetlinkSocket hands them to RtNetlinkSocket. */
interface RawMessage {
  readonly type: number;
  readonly data: Buffer;
}

/** What RtNetlinkSocket uses of the library's NetlinkSocket: `request`, and `on('message')` (no events come here). */
export class AckedRtSocket extends EventEmitter {
  readonly #requests: AckedRequests;

  constructor(requests: AckedRequests = new AckedRequests(openNetlinkTransport(NETLINK_ROUTE))) {
    super();
    this.#requests = requests;
  }

  async request(
    type: number,
    data: Buffer | readonly Buffer[],
    options?: { flags?: number },
  ): Promise<[RawMessage[], object]> {
    const payload = Buffer.isBuffer(data) ? data : Buffer.concat([...data]);
    const flags = (Number(options?.flags) || 0) | NlFlags.REQUEST | NlFlags.ACK;
    const build = (seq: number): Buffer => {
      const m = Buffer.alloc(NLMSG_HDRLEN + payload.length);
      writeNlHeader(m, 0, m.length, type, flags, seq);
      payload.copy(m, NLMSG_HDRLEN);
      return m;
    };
    if ((flags & NlFlags.DUMP) === NlFlags.DUMP) {
      const r = await this.#requests.dump(build);
      if (r.errno !== 0) throw rejected(r.errno);
      return [r.messages.map((m) => ({ type: m.type, data: m.payload })), {}];
    }
    const errno = await this.#requests.request(build);
    if (errno !== 0) throw rejected(errno);
    return [[], {}];
  }

  close(): void {
    this.#requests.close();
  }
}

/** The library's wording, which rtnl-errors.ts errnoOf reads. */
function rejected(errno: number): Error & { code: string } {
  const code = errnoName(errno);
  return Object.assign(new Error(`Request rejected: ${code}`), { code });
}

/** netlink@0.3.0's rtnetlink requests on an AckedRtSocket (close it with `.socket.close()`). */
export function openRtSocket(socket: AckedRtSocket = new AckedRtSocket()): RtNetlinkSocket {
  // RtNetlinkSocket is typed for the library's whole NetlinkSocket; it calls only request() and on()
  return new RtNetlinkSocket(socket as unknown as NetlinkSocket);
}
