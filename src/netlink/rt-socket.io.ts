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
import { errnoName } from './codec.js';
import { openNetlinkTransport } from './socket.io.js';

const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
/** NLM_F_ROOT | NLM_F_MATCH */
const NLM_F_DUMP = 0x300;
const NLMSG_HDRLEN = 16;

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
    const flags = (Number(options?.flags) || 0) | NLM_F_REQUEST | NLM_F_ACK;
    const build = (seq: number): Buffer => {
      const m = Buffer.alloc(NLMSG_HDRLEN + payload.length);
      m.writeUInt32LE(m.length, 0);
      m.writeUInt16LE(type, 4);
      m.writeUInt16LE(flags, 6);
      m.writeUInt32LE(seq, 8);
      // nlmsg_pid 0: the kernel fills in the sender's port
      payload.copy(m, NLMSG_HDRLEN);
      return m;
    };
    if ((flags & NLM_F_DUMP) === NLM_F_DUMP) {
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
