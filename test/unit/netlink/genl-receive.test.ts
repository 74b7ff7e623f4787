// SPDX-License-Identifier: Apache-2.0
// GenlClient reading what the kernel sends, message by message in place: replies kept as views,
// ACKs and errors settled by the sequence number they echo, a dump's DONE with an errno, and a
// datagram that does not parse dropped whole.
import test from 'ava';
import { Buffer } from 'node:buffer';
import { NlFlags, NlMsgType, decodeMessages } from '../../../src/netlink/codec.js';
import { GenlClient, type GenlOutcome } from '../../../src/netlink/genl.js';
import type { NetlinkTransport } from '../../../src/netlink/transport.js';
import { errorMsg, nlmsg } from '../../fakes/fake-netlink.js';

/** A socket whose kernel is the test: it sees each request's seq and writes the datagrams back. */
function scriptedTransport(): NetlinkTransport & { seqs: number[]; deliver(d: Buffer): void } {
  let onMessage: (d: Buffer) => void = () => {};
  const seqs: number[] = [];
  return {
    port: 4242,
    seqs,
    send(datagram) {
      const m = decodeMessages(datagram);
      if (m.ok) for (const x of m.value) seqs.push(x.seq);
    },
    deliver: (d) => onMessage(d),
    onMessage(cb) {
      onMessage = cb;
    },
    onError() {},
    keepAlive() {},
    close() {},
  };
}

const reply = (seq: number, cmd: number, attrs: number[]): Buffer =>
  nlmsg(0x20, NlFlags.MULTI, seq, Buffer.from([cmd, 1, 0, 0, ...attrs]));
const done = (seq: number, errno = 0): Buffer => {
  const p = Buffer.alloc(4);
  p.writeInt32LE(-errno, 0);
  return nlmsg(NlMsgType.DONE, NlFlags.MULTI, seq, p);
};
const dump = { cmd: 4, attrs: Buffer.alloc(0), dump: true };
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One dump sent by a client (50 ms to answer): its socket, its outcome to come and its seq. */
async function oneDump(): Promise<{
  tr: ReturnType<typeof scriptedTransport>;
  outcome: Promise<GenlOutcome | undefined>;
  seq: number;
}> {
  const tr = scriptedTransport();
  const outcome = new GenlClient(tr, { timeoutMs: 50 }).exchange(0x20, 1, [dump]).then(([o]) => o);
  await turn();
  return { tr, outcome, seq: tr.seqs[0] ?? 0 };
}

test("a dump's replies, several to a datagram, kept as views of their attributes", async (t) => {
  const { tr, outcome, seq } = await oneDump();
  tr.deliver(Buffer.concat([reply(seq, 7, [8, 0, 1, 0, 1, 0, 0, 0]), reply(seq, 7, [4, 0, 2, 0])]));
  tr.deliver(done(seq));
  const o = await outcome;
  if (o === undefined || !o.ok) return t.fail('the dump failed');
  t.deepEqual(
    o.replies.map((r) => [r.cmd, [...r.attrs]]),
    [
      [7, [8, 0, 1, 0, 1, 0, 0, 0]],
      [7, [4, 0, 2, 0]],
    ],
  );
});

test("a dump's DONE carrying an errno fails it; an ERROR answers by the seq it echoes", async (t) => {
  const tr = scriptedTransport();
  const c = new GenlClient(tr);
  const pending = c.exchange(0x20, 1, [
    dump,
    { cmd: 5, attrs: Buffer.alloc(0) },
    { cmd: 6, attrs: Buffer.alloc(0) },
  ]);
  await turn();
  const [a = 0, b = 0, d = 0] = tr.seqs;
  const header = (seq: number): Buffer => nlmsg(0x20, 0, seq, Buffer.alloc(4));
  tr.deliver(Buffer.concat([done(a, 22), errorMsg(b, 0, header(b)), errorMsg(d, 17, header(d))]));
  const out = await pending;
  t.deepEqual(out, [
    { ok: false, errno: 22 },
    { ok: true, replies: [] },
    { ok: false, errno: 17 },
  ]);
});

test('a reply shorter than the genl header, or an ERROR too short to name its request, is skipped', async (t) => {
  const { tr, outcome, seq } = await oneDump();
  tr.deliver(
    Buffer.concat([
      nlmsg(0x20, NlFlags.MULTI, seq, Buffer.from([7, 1])),
      nlmsg(NlMsgType.ERROR, 0, seq, Buffer.alloc(4)),
    ]),
  );
  tr.deliver(done(seq));
  t.deepEqual(await outcome, { ok: true, replies: [] });
});

test('a datagram that does not parse is dropped whole: what it answered times out', async (t) => {
  const { tr, outcome, seq } = await oneDump();
  const last = reply(seq, 7, [4, 0, 2, 0]);
  last.writeUInt32LE(4096, 0); // claims more than the datagram holds
  tr.deliver(Buffer.concat([done(seq), last])); // the DONE before it is not read either
  t.deepEqual(await outcome, { ok: false, errno: 110 });
});
