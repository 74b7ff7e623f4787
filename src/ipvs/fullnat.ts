// SPDX-License-Identifier: Apache-2.0
/**
 * FULLNAT: applies rules.ts's nftables script with `nft -f -` and turns on
 * `net.ipv4.vs.conntrack` (IPVS conntrack entries are what the SNAT rule binds to). It remembers
 * the sysctl's previous value and puts it back on `remove()` only if lvsd changed it, and removes
 * only its own table. Equivalent to `echo 1 > /proc/sys/net/ipv4/vs/conntrack; nft -f script`.
 * The commands and /proc go through `FullNatDeps` (fullnat-deps.io.ts has the real ones).
 */
import { LvsdError } from '../core/errors.js';
import type { FullNatService } from './rules.js';
import { FULLNAT_TABLE, fullNatRemovalScript, fullNatScript } from './rules.js';

export const CONNTRACK_SYSCTL = '/proc/sys/net/ipv4/vs/conntrack';

export interface FullNatDeps {
  /** Run `nft` with args, `input` on stdin; resolves to stdout, rejects with stderr. */
  nft(args: readonly string[], input?: string): Promise<string>;
  readSysctl(path: string): Promise<string>;
  writeSysctl(path: string, value: string): Promise<void>;
  /** The source address the kernel picks toward `address` (`ip route get ADDRESS` -> `src`). */
  routeSource(address: string): Promise<string | undefined>;
}

/** A FULLNAT service by its reals: the SNAT address is the director's source toward the first real. */
export interface FullNatServiceByReals {
  key: FullNatService['key'];
  reals: readonly string[];
}

/** `src` of the first route in `ip -j route get` output. */
export function parseRouteSource(json: string): string | undefined {
  try {
    const routes = JSON.parse(json) as { prefsrc?: unknown }[];
    const src = routes[0]?.prefsrc;
    return typeof src === 'string' ? src : undefined;
  } catch {
    return undefined;
  }
}

export class FullNat {
  private savedConntrack: string | undefined;

  constructor(
    private readonly deps: FullNatDeps,
    readonly table: string = FULLNAT_TABLE,
  ) {}

  /** Make lvsd's table exactly `services` (one atomic transaction); empty = remove. */
  async apply(services: readonly FullNatService[]): Promise<void> {
    if (services.length === 0) return this.remove();
    const script = fullNatScript(services, this.table);
    await this.enableConntrack();
    try {
      await this.deps.nft(['-f', '-'], script);
    } catch (e) {
      throw new LvsdError('LVSD_E_FULLNAT', `nft -f rejected the FULLNAT rules: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * `apply` with each service's SNAT address found by asking the kernel for its source address
   * toward the service's first real (the director's address on the real servers' network).
   * Services without reals are skipped (no traffic can need the rule).
   */
  async applyByReals(services: readonly FullNatServiceByReals[]): Promise<FullNatService[]> {
    const out: FullNatService[] = [];
    for (const s of services) {
      const first = s.reals[0];
      if (first === undefined) continue;
      const src = await this.deps.routeSource(first).catch(() => undefined);
      if (src === undefined) {
        throw new LvsdError(
          'LVSD_E_FULLNAT',
          `no route from the director to real server ${first}: no FULLNAT source address`,
        );
      }
      out.push({ key: s.key, snatAddress: src });
    }
    await this.apply(out);
    return out;
  }

  /** Delete lvsd's table (only it) and restore the conntrack sysctl if lvsd changed it. */
  async remove(): Promise<void> {
    try {
      await this.deps.nft(['-f', '-'], fullNatRemovalScript(this.table));
    } catch (e) {
      throw new LvsdError(
        'LVSD_E_FULLNAT',
        `nft could not delete table inet ${this.table}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    if (this.savedConntrack !== undefined) {
      const v = this.savedConntrack;
      this.savedConntrack = undefined;
      await this.deps.writeSysctl(CONNTRACK_SYSCTL, v);
    }
  }

  /** `nft list table inet lvsd_fullnat`, or '' when the table does not exist. */
  async list(): Promise<string> {
    try {
      return await this.deps.nft(['list', 'table', 'inet', this.table]);
    } catch {
      return '';
    }
  }

  private async enableConntrack(): Promise<void> {
    let cur: string;
    try {
      cur = (await this.deps.readSysctl(CONNTRACK_SYSCTL)).trim();
    } catch (e) {
      throw new LvsdError('LVSD_E_FULLNAT', `cannot read ${CONNTRACK_SYSCTL} (is ip_vs loaded?)`, {
        cause: e,
      });
    }
    if (cur === '1') return;
    try {
      await this.deps.writeSysctl(CONNTRACK_SYSCTL, '1');
    } catch (e) {
      throw new LvsdError('LVSD_E_FULLNAT', `cannot set ${CONNTRACK_SYSCTL} to 1`, { cause: e });
    }
    this.savedConntrack ??= cur;
  }
}
