// SPDX-License-Identifier: Apache-2.0
// Several pure machines on one simulated LAN (FakeClock, adverts delivered at once to every other
// node): election, crash failover, graceful handover, preemption, nopreempt and partition healing,
// with keepalived's measured timings (shared/reference/keepalived-measured.md) as the expectations.
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';
import type { TimerHandle } from '../../../src/core/clock.js';
import { dueTimers, initMachine, nextDeadline, step } from '../../../src/vrrp/machine.js';
import type { MachineAction, MachineConfig, MachineEvent, MachineState } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';

interface Node {
  name: string;
  state: MachineState;
  timer: TimerHandle | undefined;
  alive: boolean;
  segment: number;
}

class Lan {
  readonly clock = new FakeClock(0);
  readonly nodes = new Map<string, Node>();
  readonly log: { at: number; node: string; action: MachineAction }[] = [];

  add(name: string, cfg: Partial<MachineConfig>): void {
    this.nodes.set(name, {
      name,
      state: initMachine(baseConfig({ name, primaryAddress: cfg.primaryAddress ?? '10.0.0.1', ...cfg })),
      timer: undefined,
      alive: true,
      segment: 0,
    });
  }

  node(name: string): Node {
    const n = this.nodes.get(name);
    if (!n) throw new Error(name);
    return n;
  }

  feed(name: string, ev: MachineEvent, now = this.clock.now()): void {
    const n = this.node(name);
    if (!n.alive) return;
    const r = step(n.state, ev, now);
    n.state = r.state;
    for (const action of r.actions) {
      this.log.push({ at: now, node: name, action });
      if (action.type === 'sendAdvert') this.#deliver(n, action.priority, now);
    }
    this.#rearm(n);
  }

  #deliver(from: Node, priority: number, now: number): void {
    for (const to of this.nodes.values()) {
      if (to === from || !to.alive || to.segment !== from.segment) continue;
      const c = from.state.config;
      this.feed(
        to.name,
        {
          type: 'advert',
          advert: {
            src: c.primaryAddress,
            version: c.version,
            vrid: c.vrid,
            priority,
            maxAdverIntMs: c.advertIntMs,
          },
        },
        now,
      );
    }
  }

  #rearm(n: Node): void {
    if (n.timer) this.clock.clearTimeout(n.timer);
    n.timer = undefined;
    const d = nextDeadline(n.state);
    if (!d || !n.alive) return;
    n.timer = this.clock.setTimeout(() => {
      n.timer = undefined;
      const now = Math.max(this.clock.now(), d.at);
      for (const which of dueTimers(n.state, now)) this.feed(n.name, { type: 'timer', which }, now);
      if (!n.timer) this.#rearm(n);
    }, d.at - this.clock.now());
  }

  /** SIGKILL: the node stops at once, sending nothing. */
  kill(name: string): void {
    const n = this.node(name);
    n.alive = false;
    if (n.timer) this.clock.clearTimeout(n.timer);
    n.timer = undefined;
  }

  to(t: number): this {
    this.clock.advance(t - this.clock.now());
    return this;
  }

  masters(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.state.name === 'master').map((n) => n.name);
  }

  /** When `name` last became master. */
  becameMaster(name: string): number | undefined {
    return this.log
      .filter((l) => l.node === name && l.action.type === 'notify' && l.action.to === 'master')
      .at(-1)?.at;
  }

  lastAdvertAt(name: string): number | undefined {
    return this.log.filter((l) => l.node === name && l.action.type === 'sendAdvert').at(-1)?.at;
  }
}

function pair(v: 2 | 3 = 3, d1: Partial<MachineConfig> = {}, d2: Partial<MachineConfig> = {}): Lan {
  const lan = new Lan();
  const advertIntMs = v === 3 ? 100 : 1000;
  lan.add('d1', { version: v, advertIntMs, priority: 150, primaryAddress: '10.99.0.1', ...d1 });
  lan.add('d2', { version: v, advertIntMs, priority: 100, primaryAddress: '10.99.0.2', ...d2 });
  lan.feed('d1', { type: 'start' });
  lan.feed('d2', { type: 'start' });
  return lan;
}

test('election: the higher priority becomes the only master at its own MDI (v3 prio 150: 341.406 ms)', (t) => {
  const lan = pair();
  lan.to(5000);
  t.deepEqual(lan.masters(), ['d1']);
  t.is(lan.becameMaster('d1'), 341.406);
  t.is(lan.becameMaster('d2'), undefined);
});

test('crash failover v3 0.1 s: backup is master exactly MDI (360.937 ms) after the last advert of the dead master', (t) => {
  const lan = pair();
  lan.to(2000);
  lan.kill('d1');
  const last = lan.lastAdvertAt('d1') ?? NaN;
  lan.to(4000);
  t.deepEqual(lan.masters(), ['d2']);
  t.is(Math.round(((lan.becameMaster('d2') ?? NaN) - last) * 1000), 360937);
});

test('crash failover v2 1 s: MDI 3609.375 ms after the last advert', (t) => {
  const lan = pair(2);
  lan.to(10000);
  lan.kill('d1');
  const last = lan.lastAdvertAt('d1') ?? NaN;
  lan.to(20000);
  t.is(Math.round(((lan.becameMaster('d2') ?? NaN) - last) * 1000), 3609375);
});

test('graceful stop: priority 0 then the backup takes over after its skew only (v3: 60.937 ms, v2: 609.375 ms)', (t) => {
  for (const [v, skew] of [
    [3, 60.937],
    [2, 609.375],
  ] as const) {
    const lan = pair(v);
    lan.to(10000);
    lan.feed('d1', { type: 'shutdown' });
    t.is(lan.node('d1').state.name, 'stop');
    lan.to(12000);
    t.deepEqual(lan.masters(), ['d2']);
    t.is(lan.becameMaster('d2'), 10000 + skew);
  }
});

test('preemption: a returning higher priority waits its own MDI, then the old master yields without a priority-0 advert', (t) => {
  const lan = pair();
  lan.to(1000);
  lan.kill('d1');
  lan.to(3000);
  t.deepEqual(lan.masters(), ['d2']);
  lan.add('d1', { priority: 150, primaryAddress: '10.99.0.1' }); // restarted process
  lan.feed('d1', { type: 'start' });
  lan.to(3341.405);
  t.deepEqual(lan.masters(), ['d2']);
  lan.to(3341.406);
  t.deepEqual(lan.masters(), ['d1']);
  const d2Sent = lan.log.filter((l) => l.node === 'd2' && l.at >= 3341.406 && l.action.type === 'sendAdvert');
  t.deepEqual(d2Sent, []);
});

test('nopreempt (v2): a higher priority joining a master stays backup; takes over on the master priority 0 after skew(150) = 414.062 ms', (t) => {
  const lan = new Lan();
  lan.add('d2', { version: 2, advertIntMs: 1000, priority: 100, primaryAddress: '10.99.0.2' });
  lan.feed('d2', { type: 'start' });
  lan.to(5000);
  t.deepEqual(lan.masters(), ['d2']);
  lan.add('d1', {
    version: 2,
    advertIntMs: 1000,
    priority: 150,
    preempt: false,
    primaryAddress: '10.99.0.1',
  });
  lan.feed('d1', { type: 'start' });
  lan.to(20000);
  t.deepEqual(lan.masters(), ['d2']);
  lan.feed('d2', { type: 'shutdown' });
  lan.to(21000);
  t.deepEqual(lan.masters(), ['d1']);
  t.is(lan.becameMaster('d1'), 20414.062);
});

test('partition: both become master; on heal one master within one advert interval and the winner GARPs again', (t) => {
  const lan = pair();
  lan.to(1000);
  lan.node('d2').segment = 1; // bridge port down
  lan.to(2000);
  t.deepEqual(lan.masters().sort(), ['d1', 'd2']);
  lan.node('d2').segment = 0; // heal
  const healed = 2000;
  lan.to(healed + 100);
  t.deepEqual(lan.masters(), ['d1']);
  const garps = lan.log.filter(
    (l) => l.node === 'd1' && l.at > healed && l.action.type === 'sendGarp' && l.action.phase === 'lowerPrio',
  );
  t.is(garps.length, 1);
  const d2Release = lan.log.find(
    (l) => l.node === 'd2' && l.at > healed && l.action.type === 'notify' && l.action.to === 'backup',
  );
  t.truthy(d2Release);
  t.true((d2Release?.at ?? Infinity) - healed <= 100);
});

test('equal priorities: the first to time out wins; when both are master the higher primary address stays', (t) => {
  const lan = pair(3, { priority: 100 }, { priority: 100 });
  lan.to(1000);
  t.deepEqual(lan.masters(), ['d1']); // its timer fired first; d2 accepts an equal priority
  lan.node('d2').segment = 1;
  lan.to(2000);
  t.deepEqual(lan.masters().sort(), ['d1', 'd2']);
  lan.node('d2').segment = 0;
  lan.to(2100);
  t.deepEqual(lan.masters(), ['d2']); // 10.99.0.2 > 10.99.0.1
});
