// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine's nftables table kept in step with the instances (keepalived's
 * vrrp_firewall.c + vrrp_nftables.c): which VMACs exist and which VIPs a non-owner MASTER in
 * no_accept mode holds. Every change rebuilds the whole table (firewall-table.ts) and applies it in
 * one `nft -f -` transaction through the NftRunner port; changes are applied one at a time, in
 * order, and a state already applied is not applied again. A failed transaction is logged and
 * counted, and the next change tries again with the whole state. No I/O of its own.
 */
import type { Logger } from '../core/log.js';
import { firewallScript, type FirewallDrop, type FirewallVmac } from './firewall-table.js';
import type { NftRunner } from './ports.js';

export interface FirewallSettings {
  readonly table: string;
  readonly priority: number;
  readonly counters: boolean;
}

export class VrrpFirewall {
  readonly #nft: NftRunner;
  readonly #log: Logger;
  #settings: FirewallSettings;
  readonly #vmacs = new Map<string, FirewallVmac>();
  readonly #drops = new Map<string, readonly FirewallDrop[]>();
  /** The script last applied (undefined: none, or the last one failed). */
  #applied: string | undefined;
  /** Whether this process ever wrote the table (a table it never wrote is not its to remove). */
  #touched = false;
  #chain: Promise<void> = Promise.resolve();
  /** Changes are only recorded (hold): the table on the host stays as it is until release. */
  #held = false;
  readonly counters = { applied: 0, failed: 0 };

  constructor(nft: NftRunner, log: Logger, settings: FirewallSettings) {
    this.#nft = nft;
    this.#log = log;
    this.#settings = settings;
  }

  /** A VMAC appeared (its IGMP/MLD rules) or, with undefined, went. */
  setVmac(name: string, v: FirewallVmac | undefined): Promise<void> {
    if (v) this.#vmacs.set(name, v);
    else this.#vmacs.delete(name);
    return this.#sync();
  }

  /** The VIPs an instance drops traffic for (empty: none; it left MASTER). */
  setDrops(instance: string, drops: readonly FirewallDrop[]): Promise<void> {
    // none before, none now (every takeover of an instance that accepts): nothing to write
    if (drops.length === 0 && !this.#drops.has(instance)) return this.#chain;
    if (drops.length > 0) this.#drops.set(instance, drops);
    else this.#drops.delete(instance);
    return this.#sync();
  }

  /** Make the table match the state now, even when it holds nothing (a killed predecessor's is removed). */
  reset(): Promise<void> {
    this.#applied = undefined;
    return this.#sync(true);
  }

  /**
   * Record changes without applying them until `release` (a hitless restart: the predecessor's
   * table, its no_accept drops included, stays in force while the adopted instances come up).
   */
  hold(): void {
    this.#held = true;
  }

  /** Apply what was recorded since `hold` in one transaction, replacing whatever table is there. */
  release(): Promise<void> {
    this.#held = false;
    return this.reset();
  }

  /** New settings (reload): the table under the old name is removed, the state applied under the new one. */
  configure(next: FirewallSettings): Promise<void> {
    const prev = this.#settings;
    if (JSON.stringify(prev) === JSON.stringify(next)) return this.#chain;
    this.#settings = next;
    if (prev.table === next.table || !this.#touched) return this.#sync();
    const removal = firewallScript({ ...prev, vmacs: [], drops: [] });
    this.#chain = this.#chain.then(async () => {
      await this.#run(removal, prev.table);
    });
    return this.#sync();
  }

  /** Remove the table (engine stop), when this process ever wrote it. */
  close(): Promise<void> {
    this.#vmacs.clear();
    this.#drops.clear();
    return this.#sync();
  }

  /** What the stats dump shows. */
  snapshot(): object {
    return {
      table: this.#settings.table,
      vmacs: [...this.#vmacs.keys()],
      dropping: [...this.#drops.keys()],
      ...this.counters,
    };
  }

  #sync(force = false): Promise<void> {
    if (this.#held) return this.#chain;
    this.#chain = this.#chain.then(async () => {
      const empty = this.#vmacs.size === 0 && this.#drops.size === 0;
      if (!force && !this.#touched && empty) return;
      const script = firewallScript({
        ...this.#settings,
        vmacs: [...this.#vmacs.values()],
        drops: [...this.#drops.values()].flat(),
      });
      if (script === this.#applied) return;
      this.#touched = true;
      if (await this.#run(script, this.#settings.table)) this.#applied = script;
    });
    return this.#chain;
  }

  async #run(script: string, table: string): Promise<boolean> {
    try {
      await this.#nft.run(script);
      this.counters.applied++;
      return true;
    } catch (e) {
      this.counters.failed++;
      this.#applied = undefined;
      this.#log.error('cannot apply the VRRP nftables table', { table, error: (e as Error).message });
      return false;
    }
  }
}
