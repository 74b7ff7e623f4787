// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS worker's BGP announcements, composed: the kernel-table announcer (src/bgp/route-table.io.ts)
 * for `lvsd_bgp_table`, the VIP state (src/bgp/announcements.ts) fed with the manager's quorums, the
 * director drain (`lvsd drain`, kept across restarts in `$LVSD_STATE_DIR/director-drained`), and
 * BIRD's sessions read every few seconds when `lvsd_bgp_bird_socket` is set. A reload that changes
 * the table withdraws everything from the old one and starts over in the new one.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VipAnnouncements, type AnnouncedService, type BgpStatus } from '../bgp/announcements.js';
import type { Announcer, BgpSession } from '../bgp/announcer.js';
import { birdSessions } from '../bgp/birdc.io.js';
import type { CheckManager } from '../check/manager.js';
import { vsText } from '../check/effects.js';
import type { LvsdBgp, Model } from '../config/model.js';
import { LvsdError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { monotonicClock, realTimers } from './clock.js';

/** How often BIRD's sessions are read for the status. */
const sessionPollMs = 5000;

export function directorDrainPath(env: Record<string, string | undefined> = process.env): string {
  return join(env['LVSD_STATE_DIR'] ?? '/var/lib/lvsd', 'director-drained');
}

/** The announced virtual servers of the manager's spec with their quorum now. */
function announcedServices(manager: CheckManager): AnnouncedService[] {
  const out: AnnouncedService[] = [];
  for (const { vs, quorumUp } of manager.quorums()) {
    const k = vs.service.key;
    if (vs.bgpAnnounce && k.kind === 'addr')
      out.push({ family: k.family, address: k.address, name: vsText(vs), quorumUp });
  }
  return out;
}

interface Running {
  settings: LvsdBgp;
  announcer: Announcer;
  vips: VipAnnouncements;
  sessions?: { list?: BgpSession[]; error?: string };
  poll?: NodeJS.Timeout;
}

export class BgpFollower {
  readonly #manager: CheckManager;
  readonly #log: Logger;
  readonly #drainFile = directorDrainPath();
  #running: Running | undefined;

  constructor(manager: CheckManager, log: Logger) {
    this.#manager = manager;
    this.#log = log;
  }

  /** Follow the model's `lvsd_bgp_*` settings: start, move to another table, or stop announcing. */
  async apply(model: Model): Promise<void> {
    const next = model.global.lvsdBgp;
    const cur = this.#running;
    if (cur && next?.table === cur.settings.table) {
      cur.settings = next;
      this.#pollSessions(cur);
      return this.quorumChanged();
    }
    if (cur) await this.#close(cur, 0);
    this.#running = undefined;
    if (!next) return;
    // imported here: the route table loads netlink@0.3.0's rtnetlink structs (~1 s of the LVS
    // worker's start in the test VM), which only a director announcing over BGP needs
    const { openRouteTable } = await import('../bgp/route-table.io.js');
    const announcer = openRouteTable(next.table);
    const vips = new VipAnnouncements({
      announcer,
      clock: monotonicClock,
      timers: realTimers,
      logger: this.#log,
    });
    const running: Running = { settings: next, announcer, vips };
    this.#running = running;
    await vips.start(announcedServices(this.#manager), existsSync(this.#drainFile));
    this.#pollSessions(running);
    this.#log.notice('BGP announcements following quorum', { table: next.table, drained: vips.drained });
  }

  /** The manager's quorums changed: announce once IPVS is programmed, withdraw at once. */
  async quorumChanged(): Promise<void> {
    const r = this.#running;
    if (!r) return;
    const services = announcedServices(this.#manager);
    // a VIP that may be announced must find IPVS programmed: let a kernel round end first (quorum
    // changes are rare; a round is one netlink exchange when nothing else changed)
    if (!r.vips.drained && services.some((s) => s.quorumUp)) await this.#manager.sync();
    await r.vips.update(announcedServices(this.#manager));
  }

  /** `lvsd drain` / `lvsd undrain`: kept across restarts. */
  async setDrained(drained: boolean): Promise<BgpStatus> {
    const r = this.#running;
    if (!r)
      throw new LvsdError('LVSD_E_CONTROL', 'this director announces nothing over BGP (no lvsd_bgp_table)');
    if (drained) {
      mkdirSync(dirname(this.#drainFile), { recursive: true });
      writeFileSync(this.#drainFile, `${new Date().toISOString()}\n`);
    } else rmSync(this.#drainFile, { force: true });
    this.#log.notice(drained ? 'director drained by operator' : 'director undrained by operator');
    await r.vips.setDrained(drained);
    return this.status() as BgpStatus;
  }

  /**
   * Stop: withdraw every VIP, then wait the grace (when anything was announced) so the routers move
   * the flows before this director stops serving. A handoff (hitless restart) leaves the routes to
   * the successor.
   */
  async stop(handoff: boolean): Promise<void> {
    const r = this.#running;
    this.#running = undefined;
    if (!r) return;
    if (handoff) {
      if (r.poll) clearInterval(r.poll);
      r.announcer.close();
      return;
    }
    await this.#close(r, r.settings.withdrawGraceMs);
  }

  status(): BgpStatus | undefined {
    const r = this.#running;
    if (!r) return undefined;
    const s: BgpStatus = {
      table: r.settings.table,
      drained: r.vips.drained,
      vips: r.vips.status(),
      failures: r.vips.failures,
    };
    if (r.sessions?.list) s.sessions = r.sessions.list;
    if (r.sessions?.error) s.sessionsError = r.sessions.error;
    return s;
  }

  async #close(r: Running, graceMs: number): Promise<void> {
    if (r.poll) clearInterval(r.poll);
    const announced = r.vips.status().some((v) => v.announced);
    await r.vips.withdrawAll();
    if (announced && graceMs > 0) {
      this.#log.notice('VIPs withdrawn; serving on until the grace ends', { graceMs });
      await new Promise((resolve) => setTimeout(resolve, graceMs));
    }
    r.announcer.close();
  }

  #pollSessions(r: Running): void {
    if (r.poll) clearInterval(r.poll);
    delete r.poll;
    delete r.sessions;
    const path = r.settings.birdSocket;
    if (!path) return;
    const reader = birdSessions(path);
    const read = (): void => {
      reader.sessions().then(
        (list) => (r.sessions = { list }),
        (e: unknown) => (r.sessions = { error: (e as Error).message }),
      );
    };
    read();
    r.poll = setInterval(read, sessionPollMs);
    r.poll.unref();
  }
}
