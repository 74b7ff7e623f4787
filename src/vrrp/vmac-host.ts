// SPDX-License-Identifier: Apache-2.0
/**
 * The VMACs of the VRRP engine on the host, as keepalived makes them (vrrp_vmac.c,
 * vrrp_if_config.c): a private-mode macvlan on the instance's interface with the virtual router
 * MAC, no generated IPv6 link-local address, up, and these settings:
 * - on the VMAC: arp_ignore 1 (it answers ARP only for its own addresses); for IPv4 also
 *   accept_local 1 (it hears the peer's adverts), rp_filter 0 (it receives without an address of
 *   its own) and promote_secondaries 1; disable_ipv6 unless the VMAC carries IPv6;
 * - on its parent (IPv4): arp_ignore 1 and arp_filter 1 (the parent must not answer ARP for the
 *   VIPs), set by the first VMAC on it and restored by the last one (keepalived 2.2.7 leaves them
 *   set: it re-reads them from its own change before restoring);
 * - net.ipv4.conf.all.rp_filter (IPv4): rp_filter 0 on the VMAC needs all.rp_filter 0, so when it
 *   is not, `default` and every interface are raised to its value first (nothing filters less),
 *   then it is set to 0; restored when the last IPv4 VMAC goes.
 * A name taken by a macvlan on another parent is taken over (deleted, made again); a name taken by
 * anything else is a conflict (the instance waits). Only VMACs this engine made are deleted.
 * I/O only through the Rtnl and Sysctls ports.
 */
import type { Logger } from '../core/log.js';
import type { Rtnl } from '../netlink/rtnl.js';
import { MACVLAN_MODE } from '../netlink/rtnl-link.js';
import type { Sysctls } from './ports.js';

export interface VmacWanted {
  readonly name: string;
  readonly mac: string;
  readonly family: 'inet' | 'inet6';
  readonly parent: { readonly name: string; readonly ifindex: number };
  /** The VMAC carries IPv6 (an IPv6 instance): IPv6 stays enabled on it. */
  readonly ipv6: boolean;
}

/** A VMAC's name is taken by an interface that is not a macvlan: the instance cannot run. */
export class VmacConflict extends Error {
  override readonly name = 'VmacConflict';
}

/** What of the rtnetlink port VMACs need. */
export type VmacRtnl = Pick<Rtnl, 'linkDetails' | 'addMacvlan' | 'updateMacvlan' | 'deleteLink'>;

/**
 * The VMACs an engine leaves and the host settings they changed, with the values to put back (a
 * hitless restart hands them to the next process, which finds them already changed and could not
 * know what they were). JSON as is.
 */
export interface VmacSaved {
  /** The VMACs left in place (the next process takes over those it still has, deletes the others). */
  readonly links: readonly string[];
  /** Per parent interface: its arp_ignore and arp_filter before the first VMAC. */
  readonly parents: Readonly<Record<string, { readonly arpIgnore: number; readonly arpFilter: number }>>;
  /** all.rp_filter before it was cleared, default's and the interfaces' before they were raised. */
  readonly rpFilter?: {
    readonly all: number;
    readonly defaultWas?: number;
    readonly raised: Readonly<Record<string, number>>;
  };
}

/** Whether `x` is a VmacSaved (it is read from a file). */
export function isVmacSaved(x: unknown): x is VmacSaved {
  const num = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
  const s = x as Partial<VmacSaved> | null;
  if (typeof s !== 'object' || s === null || typeof s.parents !== 'object' || s.parents === null)
    return false;
  if (!Array.isArray(s.links) || !(s.links as unknown[]).every((l) => typeof l === 'string')) return false;
  const parentsOk = Object.values(s.parents as Record<string, unknown>).every((p) => {
    const q = p as { arpIgnore?: unknown; arpFilter?: unknown } | null;
    return typeof q === 'object' && q !== null && num(q.arpIgnore) && num(q.arpFilter);
  });
  const r = s.rpFilter as { all?: unknown; defaultWas?: unknown; raised?: unknown } | undefined;
  const rpOk =
    r === undefined ||
    (typeof r === 'object' &&
      r !== null &&
      num(r.all) &&
      (r.defaultWas === undefined || num(r.defaultWas)) &&
      typeof r.raised === 'object' &&
      r.raised !== null &&
      Object.values(r.raised).every(num));
  return parentsOk && rpOk;
}

interface Made {
  readonly ifindex: number;
  readonly wanted: VmacWanted;
}

interface ParentSaved {
  count: number;
  /** The values to put back, when this engine changed them. */
  restore?: { arpIgnore: number; arpFilter: number };
}

interface RpFilterSaved {
  readonly all: number;
  readonly defaultWas?: number;
  readonly raised: ReadonlyMap<string, number>;
}

export class VmacHost {
  readonly #rtnl: VmacRtnl;
  readonly #sysctl: Sysctls;
  readonly #log: Logger;
  readonly #made = new Map<string, Made>();
  readonly #parents = new Map<string, ParentSaved>();
  #rpFilter: RpFilterSaved | undefined;
  /** VMACs a predecessor handed over (hitless restart), until this run has taken them over or not. */
  readonly #inherited = new Set<string>();

  constructor(rtnl: VmacRtnl, sysctl: Sysctls, log: Logger) {
    this.#rtnl = rtnl;
    this.#sysctl = sysctl;
    this.#log = log;
  }

  /** The VMAC's ifindex, making or putting it right first. Throws VmacConflict or a netlink error. */
  async ensure(w: VmacWanted): Promise<number> {
    const known = this.#made.get(w.name);
    if (known && JSON.stringify(known.wanted) === JSON.stringify(w)) return known.ifindex;
    if (known) await this.remove(w.name);
    const spec = { name: w.name, parentIndex: w.parent.ifindex, mac: w.mac, mode: MACVLAN_MODE.private };
    const d = await this.#rtnl.linkDetails(w.name);
    let ifindex: number;
    if (d && d.kind !== 'macvlan') {
      throw new VmacConflict(`interface ${w.name} exists and is not a macvlan`);
    } else if (d && d.parentIndex === w.parent.ifindex) {
      this.#log.info('VMAC left by a previous run: taken over', { vmac: w.name });
      await this.#rtnl.updateMacvlan(d.ifindex, spec);
      ifindex = d.ifindex;
    } else {
      if (d) {
        this.#log.info('VMAC name taken by a macvlan on another interface: replaced', { vmac: w.name });
        await this.#rtnl.deleteLink(d.ifindex);
      }
      ifindex = await this.#rtnl.addMacvlan(spec);
    }
    this.#made.set(w.name, { ifindex, wanted: w });
    this.#configure(w);
    return ifindex;
  }

  /** Delete a VMAC this engine made and put back what its parent and all.rp_filter had. */
  async remove(name: string): Promise<void> {
    const m = this.#made.get(name);
    if (!m) return;
    this.#made.delete(name);
    try {
      await this.#rtnl.deleteLink(m.ifindex);
    } catch (e) {
      this.#log.error('cannot delete VMAC', { vmac: name, error: (e as Error).message });
    }
    if (m.wanted.family === 'inet') {
      this.#releaseParent(m.wanted.parent.name);
      if (![...this.#made.values()].some((x) => x.wanted.family === 'inet')) this.#restoreRpFilter();
    }
  }

  async removeAll(): Promise<void> {
    for (const name of [...this.#made.keys()]) await this.remove(name);
  }

  /** What this engine would put back (for its successor in a hitless restart). */
  saved(): VmacSaved {
    const parents: Record<string, { arpIgnore: number; arpFilter: number }> = {};
    for (const [name, p] of this.#parents) if (p.restore) parents[name] = p.restore;
    const r = this.#rpFilter;
    return {
      links: [...this.#made.keys()],
      parents,
      ...(r
        ? {
            rpFilter: {
              all: r.all,
              ...(r.defaultWas !== undefined ? { defaultWas: r.defaultWas } : {}),
              raised: Object.fromEntries(r.raised),
            },
          }
        : {}),
    };
  }

  /**
   * Take over what a predecessor would have put back (before any VMAC is made): the settings it
   * changed are found changed, so their earlier values come from it. `releaseUnclaimed` puts back
   * what no VMAC of this run needs.
   */
  inherit(s: VmacSaved): void {
    for (const name of s.links) this.#inherited.add(name);
    for (const [name, restore] of Object.entries(s.parents))
      if (!this.#parents.has(name)) this.#parents.set(name, { count: 0, restore });
    if (s.rpFilter && !this.#rpFilter) {
      const { all, defaultWas, raised } = s.rpFilter;
      this.#rpFilter = {
        all,
        raised: new Map(Object.entries(raised)),
        ...(defaultWas !== undefined ? { defaultWas } : {}),
      };
    }
  }

  /** Delete the inherited VMACs this run did not take over; put back the settings none holds. */
  async releaseUnclaimed(): Promise<void> {
    for (const name of this.#inherited) {
      if (this.#made.has(name)) continue;
      const d = await this.#rtnl.linkDetails(name);
      if (d?.kind !== 'macvlan') continue;
      this.#log.info('VMAC left by the previous process and no longer configured: deleted', { vmac: name });
      try {
        await this.#rtnl.deleteLink(d.ifindex);
      } catch (e) {
        this.#log.error('cannot delete VMAC', { vmac: name, error: (e as Error).message });
      }
    }
    this.#inherited.clear();
    for (const [name, p] of [...this.#parents])
      if (p.count === 0) {
        p.count = 1;
        this.#releaseParent(name);
      }
    if (![...this.#made.values()].some((x) => x.wanted.family === 'inet')) this.#restoreRpFilter();
  }

  /** The ifindex of a VMAC this engine made. */
  ifindexOf(name: string): number | undefined {
    return this.#made.get(name)?.ifindex;
  }

  #set(key: string, value: number): void {
    try {
      this.#sysctl.set(key, value);
    } catch (e) {
      this.#log.warn('cannot set sysctl', {
        key: `net.${key.replaceAll('/', '.')}`,
        value,
        error: (e as Error).message,
      });
    }
  }

  #configure(w: VmacWanted): void {
    if (w.family === 'inet') this.#clearRpFilter();
    const conf = `ipv4/conf/${w.name}`;
    this.#set(`${conf}/arp_ignore`, 1);
    if (w.family === 'inet') {
      this.#set(`${conf}/accept_local`, 1);
      this.#set(`${conf}/rp_filter`, 0);
      this.#set(`${conf}/promote_secondaries`, 1);
      this.#holdParent(w.parent.name);
    }
    this.#set(`ipv6/conf/${w.name}/disable_ipv6`, w.ipv6 ? 0 : 1);
  }

  #holdParent(parent: string): void {
    const held = this.#parents.get(parent);
    if (held) {
      held.count++;
      return;
    }
    const saved: ParentSaved = { count: 1 };
    const arpIgnore = this.#sysctl.get(`ipv4/conf/${parent}/arp_ignore`);
    const arpFilter = this.#sysctl.get(`ipv4/conf/${parent}/arp_filter`);
    if (arpIgnore !== undefined && arpFilter !== undefined && (arpIgnore !== 1 || arpFilter !== 1)) {
      this.#set(`ipv4/conf/${parent}/arp_ignore`, 1);
      this.#set(`ipv4/conf/${parent}/arp_filter`, 1);
      saved.restore = { arpIgnore, arpFilter };
    }
    this.#parents.set(parent, saved);
  }

  #releaseParent(parent: string): void {
    const held = this.#parents.get(parent);
    if (!held || --held.count > 0) return;
    this.#parents.delete(parent);
    if (!held.restore) return;
    this.#set(`ipv4/conf/${parent}/arp_ignore`, held.restore.arpIgnore);
    this.#set(`ipv4/conf/${parent}/arp_filter`, held.restore.arpFilter);
  }

  #clearRpFilter(): void {
    if (this.#rpFilter) return;
    const all = this.#sysctl.get('ipv4/conf/all/rp_filter');
    if (all === undefined || all === 0) return;
    const def = this.#sysctl.get('ipv4/conf/default/rp_filter');
    const raised = new Map<string, number>();
    if (def !== undefined && def < all) this.#set('ipv4/conf/default/rp_filter', all);
    for (const ifname of this.#sysctl.ipv4Interfaces()) {
      const v = this.#sysctl.get(`ipv4/conf/${ifname}/rp_filter`);
      if (v === undefined || v >= all) continue;
      this.#set(`ipv4/conf/${ifname}/rp_filter`, all);
      raised.set(ifname, v);
    }
    this.#log.info('net.ipv4.conf.all.rp_filter set to 0 for the VMACs (interfaces raised to it first)', {
      was: all,
    });
    this.#set('ipv4/conf/all/rp_filter', 0);
    this.#rpFilter = { all, raised, ...(def !== undefined && def < all ? { defaultWas: def } : {}) };
  }

  /** Put back only what still has the value this engine gave it. */
  #restoreRpFilter(): void {
    const s = this.#rpFilter;
    if (!s) return;
    this.#rpFilter = undefined;
    if (this.#sysctl.get('ipv4/conf/all/rp_filter') === 0) this.#set('ipv4/conf/all/rp_filter', s.all);
    if (s.defaultWas !== undefined && this.#sysctl.get('ipv4/conf/default/rp_filter') === s.all)
      this.#set('ipv4/conf/default/rp_filter', s.defaultWas);
    for (const [ifname, was] of s.raised)
      if (this.#sysctl.get(`ipv4/conf/${ifname}/rp_filter`) === s.all)
        this.#set(`ipv4/conf/${ifname}/rp_filter`, was);
  }
}
