// SPDX-License-Identifier: Apache-2.0
/**
 * Where `lvsd ipvs -Ln`'s time goes (bench/ipvs-read.ts runs this in the VM, a fresh process):
 * the same work as the command (the driver's dump without counters, then the listing formatted)
 * timed by phase, with the time spent inside the native exchangeNetlink call (the kernel answering
 * the per-service GET_DEST dumps, and the copy of its answers) apart from the JavaScript around it.
 * Twice in the one process: "cold" is what a command pays (V8 has compiled nothing yet), "warm" the
 * same code run again. Prints one `IPVS_PHASES {json}` line.
 */
import { openIpvsDriver } from '../../src/ipvs/driver.js';
import { formatListChunks } from '../../src/ipvs/format.js';
import { openNetlinkTransport } from '../../src/netlink/socket.io.js';
import type { NetlinkTransport } from '../../src/netlink/transport.js';

export interface IpvsPhases {
  dumpMs: number;
  /** Of `dumpMs`, inside exchangeNetlink. */
  exchangeMs: number;
  formatMs: number;
}

let exchangeMs = 0;

/** The real socket, its exchangeNow timed. */
function timedTransport(): NetlinkTransport {
  const tr = openNetlinkTransport();
  const now = tr.exchangeNow?.bind(tr);
  if (now !== undefined)
    tr.exchangeNow = (requests) => {
      const t0 = performance.now();
      try {
        return now(requests);
      } finally {
        exchangeMs += performance.now() - t0;
      }
    };
  return tr;
}

async function once(): Promise<IpvsPhases> {
  exchangeMs = 0;
  const t0 = performance.now();
  const driver = await openIpvsDriver({ openTransport: timedTransport });
  try {
    const [info, services] = await Promise.all([driver.info(), driver.dump({ stats: false })]);
    const t1 = performance.now();
    let chars = 0;
    for (const text of formatListChunks(info, services, { numeric: true })) chars += text.length;
    if (chars === 0) throw new Error('empty listing');
    return { dumpMs: t1 - t0, exchangeMs, formatMs: performance.now() - t1 };
  } finally {
    driver.close();
  }
}

const cold = await once();
const warm = await once();
process.stdout.write(`IPVS_PHASES ${JSON.stringify({ cold, warm })}\n`);
