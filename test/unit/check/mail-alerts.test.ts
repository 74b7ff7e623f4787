// SPDX-License-Identifier: Apache-2.0
/**
 * `smtp_alert` of the check layer on the manager (fake probes, fake clock, in-memory kernel): a
 * checker changing state mails as its keepalived checker does (subject with the real server's state
 * after the change, body per checker), a quorum change mails the virtual server's, omega's stop
 * mails "Shutting down", and without `smtp_alert` nothing is mailed.
 */
import test from 'ava';
import { CheckManager } from '../../../src/check/manager.js';
import type { ProbeResult } from '../../../src/check/result.js';
import type { CheckSpec, CheckerSpec } from '../../../src/check/types.js';
import type { MailAlert } from '../../../src/mail/alerts.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { advance, fakeManagerOptions } from './manager-fixtures.js';
import { real, tcp, vs } from './spec-fixtures.js';

const timing = { retry: 0, delayBeforeRetryMs: 1000, delayLoopMs: 1000 };

function setup(spec: CheckSpec) {
  const clock = new FakeClock();
  const health = new Map<string, ProbeResult>();
  const mails: MailAlert[] = [];
  const manager = new CheckManager(
    fakeManagerOptions(clock, new FakeIpvsKernel(), {
      probes: (c, rs) => () => Promise.resolve(health.get(`${rs.address}|${c.kind}`) ?? { ok: true }),
      mail: { alert: (a) => void mails.push(a) },
    }),
  );
  return { clock, health, mails, manager, spec };
}

const misc: CheckerSpec = {
  kind: 'misc',
  argv: ['/bin/true'],
  timeoutMs: 1000,
  dynamic: false,
  timing: { ...tcp().timing, ...timing },
};

test('checker changes mail with the real server state after them; quorum changes mail the virtual server', async (t) => {
  const a = real(1, { checkers: [tcp(timing), misc], smtpAlert: true });
  const b = real(2, { checkers: [tcp(timing)], smtpAlert: true });
  const spec: CheckSpec = { virtualServers: [vs([a, b], { quorum: 2, smtpAlert: true })], notifyFifos: [] };
  const { clock, health, mails, manager } = setup(spec);
  await manager.start(spec);
  health.set('10.0.0.1|tcp', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 1500);
  health.set('10.0.0.1|misc', { ok: false, reason: 'timeout' });
  await advance(clock, 1500);
  health.clear();
  await advance(clock, 1500);
  const text = (m: MailAlert): string =>
    m.kind === 'realServer'
      ? `RS ${m.rs} ${m.up ? 'UP' : 'DOWN'} ${m.rsChanged ? 'changed' : 'same'} ${m.message}`
      : m.kind === 'virtualServer'
        ? `VS ${m.vs} ${m.up ? 'UP' : 'DOWN'} ${m.message}`
        : m.kind;
  t.deepEqual(mails.map(text), [
    'RS [10.0.0.1]:tcp:80 DOWN changed => TCP CHECK failed on service <=',
    'VS [192.0.2.1]:tcp:80 DOWN => Lost quorum 2+0=2 <= 1 <=',
    'RS [10.0.0.1]:tcp:80 DOWN same => MISC CHECK timed out on service <=',
    // the two checkers come back in turn: the real server is up only after the second
    ...mails.slice(3, 5).map(text),
    'VS [192.0.2.1]:tcp:80 UP => Gained quorum 2+0=2 <= 2 <=',
  ]);
  // whichever checker comes back first finds the other still holding the real server down
  const back = mails.slice(3, 5).map(text);
  t.regex(back[0] ?? '', /^RS \[10\.0\.0\.1\]:tcp:80 DOWN same /);
  t.regex(back[1] ?? '', /^RS \[10\.0\.0\.1\]:tcp:80 UP changed /);
  t.deepEqual(back.map((x) => x.replace(/^.* => /, '=> ')).sort(), [
    '=> MISC CHECK succeeded on service <=',
    '=> TCP CHECK succeed on service <=',
  ]);
  await manager.stop();
});

test('omega: a stop mails the reals it takes down and the lost quorum as "Shutting down"; no smtp_alert, no mail', async (t) => {
  const a = real(1, { checkers: [tcp(timing)], smtpAlert: true });
  const quiet = real(2, { checkers: [tcp(timing)] });
  const spec: CheckSpec = {
    virtualServers: [vs([a, quiet], { omega: true, smtpAlert: true })],
    notifyFifos: [],
  };
  const { clock, health, mails, manager } = setup(spec);
  await manager.start(spec);
  health.set('10.0.0.2|tcp', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 1500);
  t.deepEqual(mails, [], 'the real without smtp_alert mails nothing');
  await manager.stop();
  t.deepEqual(mails, [
    {
      kind: 'realServer',
      rs: '[10.0.0.1]:tcp:80',
      vs: '[192.0.2.1]:tcp:80',
      up: false,
      rsChanged: true,
      message: '=> Shutting down <=',
    },
    { kind: 'virtualServer', vs: '[192.0.2.1]:tcp:80', up: false, message: '=> Shutting down <=' },
  ]);
});
