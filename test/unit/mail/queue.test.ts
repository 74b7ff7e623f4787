// SPDX-License-Identifier: Apache-2.0
/**
 * The mail queue (src/mail/queue.ts) on a FakeClock with a recording transport: the caller never
 * waits (nothing is sent inside `alert()`), one message at a time in order, failures and overflow
 * counted and logged, keepalived's filters (same VRRP state twice, no_email_faults,
 * no_checker_emails), and keepalived's subjects and bodies (src/mail/alerts.ts).
 */
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';
import type { LogFields, Logger } from '../../../src/core/log.js';
import { alertText, checkerMessage, quorumMessage, type MailAlert } from '../../../src/mail/alerts.js';
import {
  MailQueue,
  type MailSettings,
  type MailTransport,
  type OutgoingMail,
} from '../../../src/mail/queue.js';

function recordingLog(lines: string[]): Logger {
  const rec =
    (level: string) =>
    (msg: string, f?: LogFields): void =>
      void lines.push(`${level} ${msg}${f?.['error'] ? `: ${String(f['error'])}` : ''}`);
  const l: Logger = {
    error: rec('error'),
    warn: rec('warn'),
    notice: rec('notice'),
    info: rec('info'),
    debug: () => {},
    child: () => l,
  };
  return l;
}

/** A transport whose sends resolve (or reject) when the test says so. */
class ManualTransport implements MailTransport {
  readonly started: OutgoingMail[] = [];
  readonly pending: Array<{ ok: () => void; fail: (e: Error) => void }> = [];
  closed = false;
  send(m: OutgoingMail): Promise<void> {
    this.started.push(m);
    return new Promise((ok, fail) => this.pending.push({ ok: () => ok(), fail }));
  }
  close(): void {
    this.closed = true;
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(over: Partial<MailSettings> = {}, maxQueued?: number) {
  const clock = new FakeClock();
  const log: string[] = [];
  const transport = new ManualTransport();
  const q = new MailQueue({ log: recordingLog(log), timers: clock, ...(maxQueued ? { maxQueued } : {}) });
  q.configure({
    routerId: 'lvs1',
    from: 'lvsd@lvs1.example',
    to: ['ops@example.com', 'noc@example.com'],
    noEmailFaults: false,
    noCheckerEmails: false,
    transport,
    ...over,
  });
  return { clock, log, transport, q };
}

const master: MailAlert = { kind: 'vrrpInstance', name: 'VI_1', state: 'MASTER' };

test('alert() only queues: the message goes on a later timer turn, never inside the caller', async (t) => {
  const { clock, transport, q } = setup();
  q.alert(master);
  t.is(transport.started.length, 0, 'nothing sent synchronously');
  t.is(q.counters.queued, 1);
  clock.advance(0);
  await flush();
  t.deepEqual(transport.started, [
    {
      from: 'lvsd@lvs1.example',
      to: ['ops@example.com', 'noc@example.com'],
      subject: '[lvs1] VRRP Instance VI_1 - Entering MASTER state',
      text: '=> VRRP Instance is now owning VRRP VIPs <=\r\n',
    },
  ]);
  transport.pending[0]?.ok();
  await q.whenIdle();
  t.is(q.counters.sent, 1);
});

test('one message at a time, in order; a failure is logged and counted and the next one still goes', async (t) => {
  const { clock, log, transport, q } = setup();
  q.alert(master);
  q.alert({ kind: 'vrrpInstance', name: 'VI_2', state: 'BACKUP' });
  clock.advance(0);
  await flush();
  t.is(transport.started.length, 1, 'the second waits for the first');
  transport.pending[0]?.fail(new Error('connect ECONNREFUSED 192.0.2.25:25'));
  await flush();
  await flush();
  t.is(transport.started.length, 2);
  t.is(transport.started[1]?.subject, '[lvs1] VRRP Instance VI_2 - Entering BACKUP state');
  transport.pending[1]?.ok();
  await q.whenIdle();
  t.like(q.counters, { queued: 2, sent: 1, failed: 1 });
  t.deepEqual(log, ['error e-mail alert not sent: connect ECONNREFUSED 192.0.2.25:25']);
});

test('the queue is bounded: overflow is dropped, counted and warned about once per run of drops', (t) => {
  const { log, q } = setup({}, 2);
  for (let i = 0; i < 5; i++)
    q.alert({ kind: 'virtualServer', vs: `[10.0.0.${i}]:tcp:80`, up: true, message: 'm' });
  t.like(q.counters, { queued: 2, dropped: 3 });
  t.deepEqual(log, ['warn e-mail queue full: alerts dropped']);
});

test("keepalived's filters: a VRRP state is not mailed twice in a row; no_email_faults; no_checker_emails", async (t) => {
  const a = setup({ noEmailFaults: true, noCheckerEmails: true });
  const states = ['BACKUP', 'BACKUP', 'MASTER', 'FAULT', 'MASTER', 'BACKUP'] as const;
  for (const state of states) a.q.alert({ kind: 'vrrpInstance', name: 'VI_1', state });
  a.q.alert({ kind: 'vrrpGroup', name: 'G1', state: 'FAULT' });
  const rs = { kind: 'realServer', rs: '[10.0.0.1]:tcp:80', vs: '[192.0.2.1]:tcp:80', message: 'x' } as const;
  a.q.alert({ ...rs, up: false, rsChanged: true });
  a.q.alert({ ...rs, up: false, rsChanged: false });
  a.clock.advance(0);
  for (let i = 0; i < 10; i++) {
    a.transport.pending.shift()?.ok();
    await flush();
  }
  await a.q.whenIdle();
  // FAULT not mailed (no_email_faults) and, as in keepalived, the MASTER after it is the same as the
  // last one mailed, so it is not mailed either
  t.deepEqual(
    a.transport.started.map((m) => m.subject),
    [
      '[lvs1] VRRP Instance VI_1 - Entering BACKUP state',
      '[lvs1] VRRP Instance VI_1 - Entering MASTER state',
      '[lvs1] VRRP Instance VI_1 - Entering BACKUP state',
      '[lvs1] Realserver [10.0.0.1]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN',
    ],
  );
  t.is(a.q.counters.filtered, 5);
  const b = setup();
  b.q.alert({ ...rs, up: false, rsChanged: false });
  t.is(b.q.counters.queued, 1, 'without no_checker_emails every checker change is mailed');
});

test('no settings (no smtp_server or no recipients): alerts are ignored', (t) => {
  const clock = new FakeClock();
  const q = new MailQueue({ log: recordingLog([]), timers: clock });
  q.alert(master);
  t.false(q.enabled);
  t.is(q.counters.queued, 0);
});

test('a reload with a new transport closes the old one once what was queued with it has gone', async (t) => {
  const { clock, transport, q } = setup();
  q.alert(master);
  const next = new ManualTransport();
  q.configure({
    routerId: 'lvs1',
    from: 'a@b',
    to: ['c@d'],
    noEmailFaults: false,
    noCheckerEmails: false,
    transport: next,
  });
  clock.advance(0);
  await flush();
  t.is(transport.started.length, 1, 'the queued message keeps its transport');
  t.false(transport.closed);
  transport.pending[0]?.ok();
  await q.whenIdle();
  await flush();
  t.true(transport.closed);
  q.close();
  t.true(next.closed);
});

test("subjects and bodies are keepalived's", (t) => {
  const rows: Array<[MailAlert, string, string]> = [
    [
      master,
      '[r1] VRRP Instance VI_1 - Entering MASTER state',
      '=> VRRP Instance is now owning VRRP VIPs <=',
    ],
    [
      { kind: 'vrrpInstance', name: 'VI_1', state: 'FAULT' },
      '[r1] VRRP Instance VI_1 - Entering FAULT state',
      '=> VRRP Instance is no longer owning VRRP VIPs <=',
    ],
    [
      { kind: 'vrrpInstance', name: 'VI_1', state: 'STOP' },
      '[r1] VRRP Instance VI_1 - Stopping',
      '=> VRRP Instance stopping <=',
    ],
    [
      { kind: 'vrrpInstance', name: 'VI_1', state: 'DELETED' },
      '[r1] VRRP Instance VI_1 - Deleted',
      '=> VRRP Deleted at reload <=',
    ],
    [
      { kind: 'vrrpGroup', name: 'G1', state: 'BACKUP' },
      '[r1] VRRP Group G1 - Entering BACKUP state',
      '=> All VRRP group instances are now in BACKUP state <=',
    ],
    [
      {
        kind: 'virtualServer',
        vs: '[192.0.2.1]:tcp:80',
        up: false,
        message: quorumMessage(false, { quorum: 2, hysteresis: 1, threshold: 1, weightSum: 0 }),
      },
      '[r1] Virtualserver [192.0.2.1]:tcp:80 - DOWN',
      '=> Lost quorum 2+1=1 <= 0 <=',
    ],
    [
      {
        kind: 'realServer',
        rs: '[10.0.0.1]:tcp:80',
        vs: '[192.0.2.1]:tcp:80',
        up: true,
        rsChanged: true,
        message: checkerMessage('TCP_CHECK', true) ?? '',
      },
      '[r1] Realserver [10.0.0.1]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - UP',
      '=> TCP CHECK succeed on service <=',
    ],
  ];
  for (const [a, subject, body] of rows) t.deepEqual(alertText('r1', a), { subject, body });
  t.is(checkerMessage('HTTP_GET', false), '=> CHECK failed on service : HTTP request failed <=');
  t.is(checkerMessage('MISC_CHECK', false, { timedOut: true }), '=> MISC CHECK timed out on service <=');
  t.is(checkerMessage('DNS_CHECK', true), '=> DNS_CHECK: succeed on service <=');
  t.is(checkerMessage('FILE_CHECK', true), undefined, 'FILE_CHECK sends no mail');
});
