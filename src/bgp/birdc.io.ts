// SPDX-License-Identifier: Apache-2.0
/**
 * BIRD's BGP sessions read through its control socket (what `birdc show protocols` prints), for
 * `lvsd status` and the metrics only: lvsd never decides anything on them. One short connection
 * per read, bounded in time and size; BIRD's `restrict`ed sockets allow `show` commands.
 */
import net from 'node:net';
import type { BgpSession, SessionReader } from './announcer.js';
import { parseShowProtocols, replyComplete } from './bird-protocols.js';

const maxReplyBytes = 1024 * 1024;

/** Send `command` after BIRD's greeting and resolve with its reply's text. */
function birdRequest(path: string, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let buf = '';
    let greeted = false;
    const fail = (e: Error): void => {
      sock.destroy();
      reject(e);
    };
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () =>
      fail(new Error(`BIRD at ${path} did not answer within ${timeoutMs} ms`)),
    );
    sock.on('error', fail);
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > maxReplyBytes) return fail(new Error(`BIRD's reply is over ${maxReplyBytes} bytes`));
      if (!replyComplete(buf)) return;
      if (!greeted) {
        greeted = true;
        buf = '';
        sock.write(`${command}\n`);
        return;
      }
      sock.end();
      resolve(buf);
    });
  });
}

/** The BGP sessions of the BIRD whose control socket is `path`. */
export function birdSessions(path: string, timeoutMs = 2000): SessionReader {
  return {
    async sessions(): Promise<BgpSession[]> {
      return parseShowProtocols(await birdRequest(path, 'show protocols', timeoutMs));
    },
  };
}
