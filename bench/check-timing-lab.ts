// SPDX-License-Identifier: Apache-2.0
/**
 * The check-timing bench's lab (root, inside scripts/ipvs-vm.sh): real servers (busybox httpd, one
 * per address, in the reals namespace of test/vm/check/lab.ts) that die and come back, either
 * killed and restarted (connections refused) or blackholed by an nftables set in the reals namespace
 * (probes time out); and the director's IPVS table read from /proc/PID/net/ip_vs of a process in
 * the director namespace, cheap enough to poll every few milliseconds. The instants a server dies
 * and is back are taken when that is true on the reals' side: after SIGKILL, once the restarted
 * httpd listens (/proc/PID/net/tcp), once the nft command returned.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHttpd } from '../test/vm/helpers/netns.js';
import type { Lab } from '../test/vm/check/lab.js';

export type Failure = 'killed' | 'blackholed';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Hex `0A090002:0050` of /proc/net/ip_vs or /proc/net/tcp → `10.9.0.2`. */
function hexIp(hex: string, littleEndian: boolean): string {
  const bytes = [0, 1, 2, 3].map((i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  return (littleEndian ? bytes.reverse() : bytes).join('.');
}

/** Reals with weight > 0 in the IPVS table of the namespace `pid` is in. */
export function liveReals(pid: number): Set<string> {
  const live = new Set<string>();
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/ip_vs`, 'utf8');
  } catch {
    return live;
  }
  for (const line of text.split('\n')) {
    const m = /^\s+->\s+([0-9A-F]{8}):[0-9A-F]{4}\s+\S+\s+(\d+)/.exec(line);
    if (m && Number(m[2]) > 0) live.add(hexIp(m[1]!, false));
  }
  return live;
}

/**
 * The addresses listening on port 80 in the namespace `pid` is in: one read of /proc/PID/net/tcp
 * (long in the emulated VM: it lists every TIME_WAIT socket the checks left), for every address.
 */
function listening(pid: number): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  } catch {
    return out;
  }
  for (const l of text.split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f[3] === '0A' && f[1]?.endsWith(':0050')) out.add(hexIp(f[1].slice(0, 8), true));
  }
  return out;
}

/** The reals' servers: each address has its own httpd; all die and come back together. */
export class Reals {
  readonly #lab: Lab;
  readonly #addrs: string[];
  readonly #servers = new Map<string, ChildProcess>();
  /** A process that stays in the reals' namespace, whose /proc/PID/net shows that namespace. */
  readonly #anchor: ChildProcess;

  constructor(lab: Lab, addrs: string[]) {
    this.#lab = lab;
    this.#addrs = addrs;
    this.#anchor = spawn('ip', ['netns', 'exec', lab.reals.name, 'sleep', '100000'], { stdio: 'ignore' });
    const nft = `table inet lvsdbench {
  set dead { type ipv4_addr; }
  chain in { type filter hook input priority 0; ip daddr @dead tcp dport 80 drop; }
}`;
    execFileSync('ip', ['netns', 'exec', lab.reals.name, 'nft', '-f', '-'], { input: nft });
  }

  /** Start every server; resolves to the instant each listens (by address). */
  async startAll(): Promise<Map<string, number>> {
    for (const a of this.#addrs) {
      this.#servers.set(a, spawnHttpd(this.#lab.reals, join(this.#lab.dir, 'www'), `${a}:80`));
    }
    const at = new Map<string, number>();
    while (at.size < this.#addrs.length) {
      const live = listening(this.#anchor.pid!);
      const now = performance.now();
      for (const a of this.#addrs) if (!at.has(a) && live.has(a)) at.set(a, now);
      await sleep(2);
    }
    return at;
  }

  /** Make every server fail as `how`; resolves to the instant each failed (by address). */
  async fail(how: Failure): Promise<Map<string, number>> {
    if (how === 'blackholed') {
      this.#nft('add', this.#addrs);
      return this.#all(performance.now());
    }
    const at = new Map<string, number>();
    const exits = [...this.#servers.entries()].map(([a, p]) => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      at.set(a, performance.now());
      return exited;
    });
    await Promise.all(exits);
    this.#servers.clear();
    return at;
  }

  /** Undo `fail`; resolves to the instant each server answers again (by address). */
  async recover(how: Failure): Promise<Map<string, number>> {
    if (how === 'blackholed') {
      this.#nft('delete', this.#addrs);
      return this.#all(performance.now());
    }
    return this.startAll();
  }

  #all(at: number): Map<string, number> {
    return new Map(this.#addrs.map((a) => [a, at]));
  }

  #nft(op: 'add' | 'delete', addrs: string[]): void {
    execFileSync('ip', [
      ...['netns', 'exec', this.#lab.reals.name, 'nft', op, 'element', 'inet', 'lvsdbench', 'dead'],
      `{ ${addrs.join(', ')} }`,
    ]);
  }

  stop(): void {
    this.#anchor.kill('SIGKILL');
    for (const p of this.#servers.values()) p.kill('SIGKILL');
    this.#servers.clear();
  }
}

/**
 * Poll the IPVS table until every real of `addrs` is absent (`want` false) or present (true), or
 * `timeoutMs`; the instant each reached it (absent: never).
 */
export async function waitReals(
  pid: number,
  addrs: string[],
  want: boolean,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const end = performance.now() + timeoutMs;
  while (seen.size < addrs.length && performance.now() < end) {
    const live = liveReals(pid);
    const now = performance.now();
    for (const a of addrs) if (!seen.has(a) && live.has(a) === want) seen.set(a, now);
    await sleep(5);
  }
  return seen;
}

/**
 * The instants a daemon said a real went down or up, taken as its log lines arrive: lvsd's
 * "real server down/up ... rs=[ADDR]" (the checker's verdict, before the kernel is updated);
 * keepalived's "Removing/Adding service [ADDR]" (logged as it updates the kernel).
 */
export class Verdicts {
  readonly #events = new Map<string, Array<{ at: number; up: boolean }>>();
  /** Lines naming `traced`, with their arrival time (ms), for the record. */
  readonly trace: string[] = [];
  readonly #traced: string | undefined;

  constructor(streams: Array<NodeJS.ReadableStream | null>, traced?: string) {
    this.#traced = traced;
    for (const s of streams) {
      let partial = '';
      s?.on('data', (chunk: Buffer) => {
        const at = performance.now();
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) this.#line(l, at);
      });
    }
  }

  #line(line: string, at: number): void {
    if (this.#traced !== undefined && line.includes(`${this.#traced}]`))
      this.trace.push(`${at.toFixed(0)} ${line}`);
    const lvsd = /real server (up|down) .*rs=\[([\d.]+)\]/.exec(line);
    const ka = /(Adding|Enabling|Removing|Disabling) (?:\(inhibited\) )?service \[([\d.]+)\]/.exec(line);
    const m = lvsd ?? ka;
    if (!m) return;
    const up = m[1] === 'up' || m[1] === 'Adding' || m[1] === 'Enabling';
    const list = this.#events.get(m[2]!) ?? [];
    list.push({ at, up });
    this.#events.set(m[2]!, list);
  }

  /** The first verdict `up` about `addr` at or after `since` (absent: none). */
  first(addr: string, up: boolean, since: number): number | undefined {
    return this.#events.get(addr)?.find((e) => e.up === up && e.at >= since)?.at;
  }
}
