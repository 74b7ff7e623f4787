// SPDX-License-Identifier: Apache-2.0
/**
 * E-mail alerts end to end on loopback: the mail queue with the nodemailer SMTP transport
 * (src/mail/smtp.io.ts) against a real SMTP server started in the test (test/fakes/smtp-sink.ts),
 * which records what arrives: keepalived's headers and body, the HELO name, the envelope. A server
 * that refuses, rejects or never answers makes a failure that is counted; `alert()` returns at once.
 */
import test from 'ava';
import { createServer, type Server, type Socket } from 'node:net';
import { MailQueue } from '../../../src/mail/queue.js';
import { smtpTransport } from '../../../src/mail/smtp.io.js';
import { realTimers } from '../../../src/daemon/clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { SmtpSink } from '../../fakes/smtp-sink.js';

function queueTo(port: number, timeoutMs = 5000): MailQueue {
  const q = new MailQueue({ log: silentLogger, timers: realTimers });
  q.configure({
    routerId: 'lvs-test',
    from: 'lvsd@director.example',
    to: ['ops@example.com', 'noc@example.com'],
    noEmailFaults: false,
    noCheckerEmails: false,
    transport: smtpTransport({ host: '127.0.0.1', port, heloName: 'director.example', timeoutMs }),
  });
  return q;
}

test('an alert arrives as keepalived sends it: headers, body, HELO name and envelope', async (t) => {
  const sink = new SmtpSink();
  const port = await sink.listen('127.0.0.1');
  t.teardown(() => sink.close());
  const q = queueTo(port);
  q.alert({ kind: 'vrrpInstance', name: 'VI_1', state: 'MASTER' });
  q.alert({
    kind: 'realServer',
    rs: '[10.0.0.1]:tcp:80',
    vs: '[192.0.2.1]:tcp:80',
    up: false,
    rsChanged: true,
    message: '=> TCP CHECK failed on service <=',
  });
  await q.whenIdle();
  q.close();
  t.like(q.counters, { queued: 2, sent: 2, failed: 0 });
  const [a, b] = sink.messages;
  t.is(a?.helo, 'director.example');
  t.is(a?.from, 'lvsd@director.example');
  t.deepEqual(a?.to, ['ops@example.com', 'noc@example.com']);
  t.like(a?.headers, {
    from: 'lvsd@director.example',
    to: 'ops@example.com, noc@example.com',
    subject: '[lvs-test] VRRP Instance VI_1 - Entering MASTER state',
    'x-mailer': 'lvsd',
  });
  t.truthy(a?.headers['date']);
  t.is(a?.body.trim(), '=> VRRP Instance is now owning VRRP VIPs <=');
  t.is(
    b?.headers['subject'],
    '[lvs-test] Realserver [10.0.0.1]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN',
  );
  t.is(b?.body.trim(), '=> TCP CHECK failed on service <=');
});

test('a server that rejects the message, one that refuses the connection: failures are counted', async (t) => {
  const sink = new SmtpSink({ reject: true });
  const port = await sink.listen('127.0.0.1');
  t.teardown(() => sink.close());
  const q = queueTo(port);
  q.alert({ kind: 'vrrpGroup', name: 'G1', state: 'BACKUP' });
  await q.whenIdle();
  t.like(q.counters, { sent: 0, failed: 1 });
  // a port nobody listens on
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const deadPort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const q2 = queueTo(deadPort);
  q2.alert({ kind: 'vrrpGroup', name: 'G1', state: 'BACKUP' });
  await q2.whenIdle();
  t.like(q2.counters, { sent: 0, failed: 1 });
});

test('a server that never answers: alert() returns at once, the send fails after smtp_connect_timeout', async (t) => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((s) => void sockets.add(s)); // accepts, never greets
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const q = queueTo((silent.address() as { port: number }).port, 300);
  const before = process.hrtime.bigint();
  q.alert({ kind: 'vrrpInstance', name: 'VI_1', state: 'BACKUP' });
  const inCallerMs = Number(process.hrtime.bigint() - before) / 1e6;
  t.is(q.counters.queued, 1);
  t.is(q.counters.sent + q.counters.failed, 0, 'nothing has happened inside the call');
  await q.whenIdle();
  t.like(q.counters, { sent: 0, failed: 1 });
  t.log(`alert() took ${inCallerMs.toFixed(3)} ms in the caller`);
});
