// SPDX-License-Identifier: Apache-2.0
/**
 * The announcement ports: what lvsd asks of the BGP side, kept narrow so that another engine can be
 * added beside the kernel-table adapter (route-table.io.ts, exported by the operator's BIRD). lvsd
 * never speaks BGP itself and starts no BGP speaker: the engine is the operator's service. Pure:
 * types only.
 */
import type { IpFamily } from '../core/addr.js';

/** A virtual IP address as announced: a /32 or /128. */
export interface Vip {
  readonly family: IpFamily;
  /** Canonical address text. */
  readonly address: string;
}

/** Where announcements go (one adapter per engine). Each call is idempotent. */
export interface Announcer {
  /** Make the engine announce `vip` (the kernel-table adapter: its route in lvsd's table). */
  announce(vip: Vip): Promise<void>;
  /** Make the engine withdraw `vip`; a VIP not announced is no error. */
  withdraw(vip: Vip): Promise<void>;
  /** The VIPs announced now, as the engine (or the table it reads) has them. */
  state(): Promise<Vip[]>;
  close(): void;
}

/** One BGP session of the engine, as its own status shows it (BIRD: `birdc show protocols`). */
export interface BgpSession {
  /** The engine's name for it (BIRD's protocol name). */
  name: string;
  /** The engine's state word (BIRD: up, start, down, ...). */
  state: string;
  /** Whether the session is established. */
  established: boolean;
  /** The engine's detail (BIRD: Established, Active, Connect, with the last error). */
  info: string;
}

/** Reads the engine's BGP sessions (optional: status and metrics only, never a decision). */
export interface SessionReader {
  sessions(): Promise<BgpSession[]>;
}
