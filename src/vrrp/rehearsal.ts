// SPDX-License-Identifier: Apache-2.0
/**
 * A rehearsal of the takeover before the first real one. V8 compiles a function the first time it
 * runs and optimizes it once it has run a while, so a backup that has never been MASTER takes over,
 * the one time that matters, on cold code: measured (SIGKILL failover under stress-ng,
 * bench/realtime.ts), the first two takeovers of a process took 1.6–1.7 ms from Master_Down to the
 * VIP's netlink request, the later ones 0.25–0.45 ms (MDI + 2.1–2.8 ms against + 0.8–1.2 on the
 * wire).
 *
 * `rehearseTakeovers` runs a copy of an instance — the same class, machine, packet and frame
 * builders, on the instance's own spec — through start → Master_Down → MASTER (advert, VIP add,
 * GARP) → a higher priority's advert → BACKUP (VIP delete), round after round, on a clock of its
 * own, with ports that do nothing: never a socket, a netlink request, a log line, a notification or
 * a shared counter. Between rounds it yields (`defer`), so the event loop is never held for more
 * than one round (the engine runs it before the worker turns realtime: engine.ts `#rehearse`). An
 * instance that cannot go MASTER this way (an address owner, one in FAULT, one whose advert a
 * peer's would not pass) ends its rehearsal early; nothing else changes. Pure.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { type InstanceSpec, LatenessHistogram, VrrpInstance } from './instance.js';
import { VRRP_MCAST4, VRRP_MCAST6, VRRP_TTL, buildAdvert } from './packet.js';

const quiet: Logger = {
  error() {},
  warn() {},
  notice() {},
  info() {},
  debug() {},
  child: () => quiet,
};

/** A clock and timers that move only when told: the rehearsal's time. */
function manualTime(): { clock: Clock; timers: Timers; runNext(): boolean } {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    clock: { now: () => now },
    timers: {
      setTimeout(fn, ms) {
        const id = next++;
        due.set(id, { at: now + Math.max(0, ms), fn });
        return { id };
      },
      clearTimeout(h) {
        due.delete(h.id);
      },
    },
    runNext() {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of due) if (!first || e[1].at < first[1].at) first = e;
      if (!first) return false;
      due.delete(first[0]);
      now = Math.max(now, first[1].at);
      first[1].fn();
      return true;
    },
  };
}

/** A source for the peer's advert: a listed unicast peer, else an address that is not ours. */
function peerSource(spec: InstanceSpec): string {
  const m = spec.machine;
  const listed = m.unicastPeers[0];
  if (listed !== undefined) return listed;
  const candidates = m.family === 'inet' ? ['192.0.2.1', '192.0.2.2'] : ['fe80::1', 'fe80::2'];
  return candidates.find((a) => a !== m.primaryAddress) ?? '192.0.2.3';
}

/**
 * Rehearse `rounds` takeovers and hand-backs of an instance of `spec`; resolves with how many went
 * through MASTER and back.
 */
export async function rehearseTakeovers(
  spec: InstanceSpec,
  rounds: number,
  defer: (fn: () => void) => void,
): Promise<number> {
  const m = spec.machine;
  if (m.priority === 255 || spec.configFault !== undefined) return 0;
  const time = manualTime();
  const inst = new VrrpInstance(
    { ...spec, trackers: [] },
    {
      clock: time.clock,
      timers: time.timers,
      preciseTimers: time.timers,
      log: quiet,
      rtnl: {
        addAddress: () => Promise.resolve('added'),
        delAddress: () => Promise.resolve('deleted'),
        listAddresses: () => Promise.resolve([]),
        addRoute: () => Promise.resolve('added'),
        delRoute: () => Promise.resolve('deleted'),
        addRule: () => Promise.resolve('added'),
        delRule: () => Promise.resolve('deleted'),
        listRoutes: () => Promise.resolve([]),
      },
      adverts: { send: () => undefined },
      frames: { send: () => undefined },
      framesOn: () => ({ send: () => undefined }),
      notifier: { stateChanged: () => undefined },
      lateness: new LatenessHistogram(),
      defer: (fn) => fn(),
    },
  );
  const src = peerSource(spec);
  const unicast = m.unicastPeers.length > 0;
  const dst = unicast ? m.primaryAddress : m.family === 'inet' ? VRRP_MCAST4 : VRRP_MCAST6;
  const peerAdvert = buildAdvert({ ...m, primaryAddress: src }, 255, dst);
  const meta = { family: m.family, src, dst, ttl: VRRP_TTL };
  // read afresh each time (a call moves it, which TypeScript's narrowing of `inst.state` ignores)
  const state = (): string => inst.state.name;
  await inst.start();
  let done = 0;
  for (; done < rounds; done++) {
    for (let i = 0; i < 8 && state() !== 'master'; i++) if (!time.runNext()) break;
    if (state() !== 'master') break;
    await inst.settled();
    inst.receive(peerAdvert, meta);
    if (state() !== 'backup') break;
    await inst.settled();
    await new Promise<void>((resolve) => defer(resolve));
  }
  await inst.freeze();
  return done;
}
