// SPDX-License-Identifier: Apache-2.0
/**
 * The check-timing bench's lab (root, inside scripts/ipvs-vm.sh): real servers (busybox httpd, one
 * per address, in the reals namespace of test/vm/check/lab.ts) that fail and come back through two
 * nftables sets in the reals namespace: `refused` answers every TCP segment to port 80 with a RST
 * (what a checker sees of a killed server: connections refused, a request in flight reset),
 * `blackholed` drops them (probes time out); and the director's IPVS table read from
 * /proc/PID/net/ip_vs of a process in the director namespace, cheap enough to poll every few
 * milliseconds. The instants a server fails and is back are when the nft command returned.
 *
 * Why not kill and restart the servers: the instant a restarted httpd listens could only be read by
 * polling /proc/PID/net/tcp, which in the emulated VM lagged by up to a probe interval (keepalived's
 * TCP_CHECK came "back" 0.01–0.03 s after it in every round, sooner than any probe schedule allows),
 * so the back times of that mode measured the poll, not the checkers.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHttpd } from '../test/vm/helpers/netns.js';
import type { Lab } from '../test/vm/check/lab.js';

export type Failure = 'refused' | 'blackholed';

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

/** The addresses listening on port 80 in the namespace `pid` is in (one read of /proc/PID/net/tcp). */
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

/**
 * A failure or a recovery: `at` each real's instant (when the nft command returned: from then on it
 * holds); `from` when the command was started: a probe that reached a real in between may have
 * met either state.
 */
export interface Change {
  from: number;
  at: Map<string, number>;
  /** Date.now() when `at` was taken: the capture's timestamps are wall-clock ones. */
  wallAt: number;
}

/** The reals' servers: each address has its own httpd; all fail and come back together. */
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
  set blackholed { type ipv4_addr; }
  set refused { type ipv4_addr; }
  chain in {
    type filter hook input priority 0;
    ip daddr @blackholed tcp dport 80 drop;
    ip daddr @refused tcp dport 80 reject with tcp reset;
  }
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

  /** Make every server fail as `how`. */
  fail(how: Failure): Change {
    return this.#nft('add', how);
  }

  /** Undo `fail`: every server answers again. */
  recover(how: Failure): Change {
    return this.#nft('delete', how);
  }

  /** Every address into or out of the set `how`. */
  #nft(op: 'add' | 'delete', how: Failure): Change {
    const from = performance.now();
    execFileSync('ip', [
      ...['netns', 'exec', this.#lab.reals.name, 'nft', op, 'element', 'inet', 'lvsdbench', how],
      `{ ${this.#addrs.join(', ')} }`,
    ]);
    const done = performance.now();
    const wallAt = Date.now();
    return { from, at: new Map(this.#addrs.map((a) => [a, done])), wallAt };
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
 * A daemon's lines about one real, with their arrival time (ms), for the record: lvsd's "real server
 * down/up ... rs=[ADDR]", keepalived's "Removing/Adding service [ADDR]" and their checkers' lines.
 */
export class LogTrace {
  readonly lines: string[] = [];

  constructor(streams: Array<NodeJS.ReadableStream | null>, addr: string) {
    for (const s of streams) {
      let partial = '';
      s?.on('data', (chunk: Buffer) => {
        const at = performance.now();
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.includes(`${addr}]`)) this.lines.push(`${at.toFixed(0)} ${l}`);
      });
    }
  }
}

/**
 * Every probe's arrival at the reals: tcpdump in the reals' namespace, one line per TCP SYN to
 * port 80 (a TCP_CHECK, an HTTP_GET and the MISC script's /dev/tcp all begin with one), taken
 * before nftables drops or rejects it. A retransmitted SYN counts as a probe meeting the reals
 * again: a connect in flight when a blackhole is lifted succeeds on its retransmission. Times are
 * the capture's own (kernel, wall-clock) timestamps, put on this process's performance.now() scale
 * by the wall clock read with each change: the emulated VM's wall clock was seen to step by ~12 s
 * within a run, so one offset taken at the start misplaced the probes of later rounds.
 */
export class ProbeLog {
  readonly #proc: ChildProcess;
  readonly #at = new Map<string, number[]>();
  #started: Promise<void>;

  constructor(lab: Lab) {
    this.#proc = spawn(
      'ip',
      [
        ...['netns', 'exec', lab.reals.name, 'tcpdump', '-i', 'any', '-n', '-tt', '-l', '--immediate-mode'],
        'tcp dst port 80 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#started = new Promise((resolve) => {
      // tcpdump says "listening on any" on stderr once it captures
      this.#proc.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening on')) resolve();
      });
      this.#proc.once('exit', () => resolve());
    });
    let partial = '';
    this.#proc.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^(\d+\.\d+) .*IP [\d.]+\.\d+ > ([\d.]+)\.80: Flags \[S\]/.exec(l);
        if (!m) continue;
        const list = this.#at.get(m[2]!) ?? [];
        list.push(Number(m[1]) * 1000);
        this.#at.set(m[2]!, list);
      }
    });
  }

  ready(): Promise<void> {
    return this.#started;
  }

  /**
   * The first probe to reach `addr` after `change`, absent when none was seen or when one reached
   * it while the change was being made (it may have met either state).
   */
  firstAfter(addr: string, change: Change): number | undefined {
    const done = change.at.get(addr)!;
    // wall clock → performance.now(), as the two stood when the change was made
    const toPerf = (wall: number): number => wall - change.wallAt + done;
    const wall = (this.#at.get(addr) ?? []).find((w) => toPerf(w) >= change.from);
    const first = wall === undefined ? undefined : toPerf(wall);
    return first !== undefined && first >= done ? first : undefined;
  }

  /** Every probe to reach `addr` from `change` until `until` (performance.now()), on that scale. */
  between(addr: string, change: Change, until: number): number[] {
    const toPerf = (wall: number): number => wall - change.wallAt + change.at.get(addr)!;
    return (this.#at.get(addr) ?? []).map(toPerf).filter((t) => t >= change.from && t <= until);
  }

  stop(): void {
    this.#proc.kill('SIGTERM');
  }
}
