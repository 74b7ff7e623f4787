// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS connection-sync daemon as `lvs_sync_daemon` asks for it, driven by the LVS worker. Pure:
 * the kernel is the `IpvsKernel` port.
 *
 * keepalived's rules (check/check_daemon.c, vrrp/vrrp.c, vrrp/vrrp_scheduler.c):
 * - no instance named: the master and the backup daemon run at once, from start to stop;
 * - an instance named: the backup daemon runs from start; when the instance becomes MASTER the backup
 *   daemon is stopped and the master daemon started, and when it leaves MASTER the reverse; when the
 *   instance stops (STOP) its daemon is stopped. FAULT and BACKUP both mean the backup daemon;
 * - `id` defaults to the named instance's VRID, or 0 without one.
 * lvsd keeps the same kernel states, but as a reconciliation: it reads the kernel's daemons and
 * stops only those that differ from the wanted ones (state or settings), then starts what is
 * missing, so a restarted worker or a reload leaves a correct daemon running untouched.
 */
import type { LvsSyncDaemon, Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { IpvsKernel, IpvsOp } from '../ipvs/ops.js';
import type { SyncDaemon, SyncDaemonState } from '../ipvs/model.js';

/** Which daemons run: the named instance's role, or both (no instance, or no one to follow). */
export type SyncRole = 'master' | 'backup' | 'both' | 'none';

/** The daemon settings without their state, resolved from the Model. */
export interface SyncDaemonSetting {
  readonly daemon: Omit<SyncDaemon, 'state'>;
  /** The VRRP instance the daemon follows; absent: master and backup at once. */
  readonly instance?: string;
}

/** `lvs_sync_daemon` resolved: `id` defaults to the instance's VRID (keepalived), else 0. */
export function syncDaemonSettingFromModel(model: Model): SyncDaemonSetting | undefined {
  const sd: LvsSyncDaemon | undefined = model.global.lvsSyncDaemon;
  if (!sd) return undefined;
  const inst =
    sd.instance === undefined ? undefined : model.vrrpInstances.find((i) => i.name === sd.instance);
  const daemon: Omit<SyncDaemon, 'state'> = {
    interface: sd.interface,
    syncId: sd.syncId ?? inst?.vrid ?? 0,
    ...(sd.maxLen !== undefined ? { maxLen: sd.maxLen } : {}),
    ...(sd.group !== undefined ? { group: sd.group } : {}),
    ...(sd.port !== undefined ? { port: sd.port } : {}),
    ...(sd.ttl !== undefined ? { ttl: sd.ttl } : {}),
  };
  return sd.instance === undefined ? { daemon } : { daemon, instance: sd.instance };
}

/** The role a VRRP state report means for the daemon (keepalived: MASTER → master, else backup). */
export function roleForVrrpState(state: string): SyncRole {
  if (state === 'MASTER') return 'master';
  if (state === 'STOP') return 'none';
  return 'backup';
}

function statesOf(role: SyncRole): SyncDaemonState[] {
  if (role === 'both') return ['master', 'backup'];
  if (role === 'none') return [];
  return [role];
}

/** Does the kernel's daemon carry every setting that was asked for (unset ones are the kernel's)? */
function sameDaemon(have: SyncDaemon, want: SyncDaemon): boolean {
  return (
    have.state === want.state &&
    have.interface === want.interface &&
    have.syncId === want.syncId &&
    (want.maxLen === undefined || have.maxLen === want.maxLen) &&
    (want.group === undefined || have.group === want.group) &&
    (want.port === undefined || have.port === want.port) &&
    (want.ttl === undefined || have.ttl === want.ttl)
  );
}

/**
 * The ops that take the kernel's daemons to the wanted ones: stop a daemon that differs or is not
 * wanted (before a start, as keepalived stops backup before starting master), start a missing one.
 * `owned`: the states whose unwanted daemon lvsd stops (with `lvs_sync_daemon` configured, both:
 * the sync daemon is lvsd's, as it is keepalived's; after it was removed, those lvsd had started).
 */
export function syncDaemonOps(
  have: readonly SyncDaemon[],
  want: readonly SyncDaemon[],
  owned: ReadonlySet<SyncDaemonState>,
): IpvsOp[] {
  const stops: IpvsOp[] = [];
  const starts: IpvsOp[] = [];
  const find = (list: readonly SyncDaemon[], state: SyncDaemonState): SyncDaemon | undefined =>
    list.find((d) => d.state === state);
  // as keepalived on becoming master: stop the backup daemon, then start the master daemon
  for (const state of ['backup', 'master'] as const) {
    const h = find(have, state);
    const w = find(want, state);
    if (h && (w ? !sameDaemon(h, w) : owned.has(state))) stops.push({ op: 'stopDaemon', state });
  }
  for (const state of ['master', 'backup'] as const) {
    const h = find(have, state);
    const w = find(want, state);
    if (w && (!h || !sameDaemon(h, w))) starts.push({ op: 'startDaemon', daemon: w });
  }
  return [...stops, ...starts];
}

export interface SyncDaemonCounters {
  /** Role changes carried out (including the first). */
  changes: number;
  /** Kernel requests that failed (logged). */
  errors: number;
}

/**
 * Keeps the kernel's sync daemons at the role lvsd wants. Calls are serialised: a state report that
 * arrives while the kernel is being changed is applied after it, and only the last one counts.
 */
export class SyncDaemonFollower {
  readonly #kernel: Pick<IpvsKernel, 'getDaemons' | 'apply'>;
  readonly #log: Logger;
  #setting: SyncDaemonSetting | undefined;
  #role: SyncRole = 'none';
  /** Every state lvsd started a daemon in (stopped at the end). */
  readonly #owned = new Set<SyncDaemonState>();
  #chain: Promise<void> = Promise.resolve();
  /** The last state reported for each VRRP instance. */
  readonly #lastStates = new Map<string, string>();
  readonly counters: SyncDaemonCounters = { changes: 0, errors: 0 };

  constructor(o: { kernel: Pick<IpvsKernel, 'getDaemons' | 'apply'>; log: Logger }) {
    this.#kernel = o.kernel;
    this.#log = o.log;
  }

  /** The role lvsd wants now and the settings it runs with. */
  get role(): SyncRole {
    return this.#role;
  }

  /**
   * A new configuration (at start and on reload). `follows`: whether VRRP state reports will
   * arrive; without them a named instance cannot be followed and both daemons run.
   */
  configure(setting: SyncDaemonSetting | undefined, follows: boolean): Promise<void> {
    this.#setting = setting;
    let role: SyncRole;
    if (!setting) role = 'none';
    else if (setting.instance === undefined || !follows) role = 'both';
    else {
      // the instance's last reported state (a reload may name another instance); backup until one comes
      const last = this.#lastStates.get(setting.instance);
      role = last === undefined ? 'backup' : roleForVrrpState(last);
    }
    return this.#set(role, 'configuration');
  }

  /**
   * A hitless restart: the previous process left its daemons running for the instance it followed,
   * so until that instance's first state report the daemons that match the settings are kept as
   * they are (a backup daemon started meanwhile would drop what the master daemon syncs). Without
   * a followed instance, or with nothing matching in the kernel, this is `configure`.
   */
  adopt(setting: SyncDaemonSetting | undefined, follows: boolean): Promise<void> {
    const instance = setting?.instance;
    if (!setting || instance === undefined || !follows) return this.configure(setting, follows);
    this.#setting = setting;
    const run = this.#chain.then(async () => {
      if (this.#lastStates.has(instance)) return; // a report came first: it decided
      const kept = await this.#kernel
        .getDaemons()
        .then((have) => have.filter((d) => sameDaemon(d, { ...setting.daemon, state: d.state })))
        .catch(() => []);
      // one daemon of the followed instance's roles; anything else is set up as at a plain start
      const role = kept.length === 1 && kept[0] ? kept[0].state : undefined;
      if (role === undefined) {
        this.#role = 'backup';
        return this.#apply('configuration');
      }
      this.#role = role;
      this.#owned.add(role);
      this.#log.info('IPVS sync daemon kept from the previous process', { role, instance });
    });
    this.#chain = run;
    return run;
  }

  /** A VRRP instance changed state (relayed by the supervisor). Others than the followed one are only remembered. */
  vrrpState(instance: string, state: string): Promise<void> {
    this.#lastStates.set(instance, state);
    const s = this.#setting;
    if (!s || s.instance !== instance || this.#role === 'both') return Promise.resolve();
    return this.#set(roleForVrrpState(state), `instance ${instance} ${state}`);
  }

  /** Stop every daemon lvsd started (the worker stops). */
  stop(): Promise<void> {
    this.#setting = undefined;
    return this.#set('none', 'stop');
  }

  #set(role: SyncRole, why: string): Promise<void> {
    this.#role = role;
    const run = this.#chain.then(() => this.#apply(why));
    this.#chain = run;
    return run;
  }

  async #apply(why: string): Promise<void> {
    const role = this.#role; // the latest wish when this turn runs
    const s = this.#setting;
    const want: SyncDaemon[] = s ? statesOf(role).map((state) => ({ ...s.daemon, state })) : [];
    try {
      const have = await this.#kernel.getDaemons();
      const owned: ReadonlySet<SyncDaemonState> = s ? new Set(['master', 'backup']) : this.#owned;
      const ops = syncDaemonOps(have, want, owned);
      if (ops.length === 0) return;
      const r = await this.#kernel.apply(ops);
      for (const op of r.applied) {
        if (op.op === 'startDaemon') this.#owned.add(op.daemon.state);
        else if (op.op === 'stopDaemon') this.#owned.delete(op.state);
      }
      this.counters.changes++;
      if (r.failed) {
        this.counters.errors++;
        this.#log.error('IPVS sync daemon not changed', {
          role,
          because: why,
          error: r.failed.error.message,
        });
      } else this.#log.info('IPVS sync daemon', { role, because: why, syncid: s?.daemon.syncId });
    } catch (e) {
      this.counters.errors++;
      this.#log.error('IPVS sync daemon not changed', { role, because: why, error: (e as Error).message });
    }
  }
}
