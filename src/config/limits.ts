// SPDX-License-Identifier: Apache-2.0
/**
 * The bounds on loading a configuration, so that no file (a FIFO, /dev/zero, an include fan-out,
 * 100 MB of text, millions of words) can hang or abort `lvsd check-config`, `lvsd run` or a reload.
 * Pure: the environment is passed in. The three an operator may need to raise (a very large
 * configuration) come from `LVSD_CONFIG_MAX_BYTES`, `LVSD_CONFIG_MAX_FILES` and
 * `LVSD_CONFIG_MAX_TOKENS`, which reach check-config, run and the reload validator alike (the
 * daemon's child inherits its environment; systemd's `EnvironmentFile` sets them).
 */

export interface LoadLimits {
  /** Bytes read from all files together: the main file and every include [64 MiB]. */
  maxBytes: number;
  /** Files read, a file included twice counting twice [1000]. */
  maxFiles: number;
  /** Includes within includes [32]. */
  maxIncludeDepth: number;
  /** Words and braces, after parameter expansion [1,000,000]. */
  maxTokens: number;
  /** Findings kept and printed (the first in file order); the rest are counted [50]. */
  maxDiagnostics: number;
  /** Physical lines joined into one by trailing `\` [100,000]. */
  maxContinuedLines: number;
  /** Directory entries read to expand include patterns [100,000]. */
  maxDirEntries: number;
}

/**
 * The defaults. Measured (docs/config.md "Limits"): a configuration of 10,000 real servers with
 * TCP_CHECKs is 1 MB and 212,000 words and braces and needs about 45 MB of heap to load, so the
 * defaults leave room for configurations several times larger than any seen, while the worst case
 * they allow stays inside the 512 MB heap of the reload validator (src/daemon/validate-config.ts);
 * raised limits raise that heap with them (`loadHeapMb`).
 * keepalived itself reads lines of at most 1023 characters.
 */
export const defaultLimits: Readonly<LoadLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxFiles: 1000,
  maxIncludeDepth: 32,
  maxTokens: 1_000_000,
  maxDiagnostics: 50,
  maxContinuedLines: 100_000,
  maxDirEntries: 100_000,
});

/**
 * The V8 heap, in MB, that loading any configuration within `limits` may need: the reload
 * validator (daemon/validate-config.ts) is started with it. `lvsd check-config` and `lvsd run`'s
 * start load in a process whose heap Node sizes from the machine's memory; a child held to a fixed
 * 512 MB ran out of memory on a file they accepted once an operator raised LVSD_CONFIG_MAX_TOKENS
 * (16,000 × 10 TCP_CHECK reals, 3.1 million words: every reload of it refused). Budget: 300 bytes
 * a word (at the parse's peak the words and the statement tree are live together: 348 MB for 1.96
 * million words, ~180 a word, measured; a file of one word a line adds a line end a word), 2 a
 * byte of text, and a fifth more for the collector to work in. Never below 512 MB, which the
 * defaults need.
 */
export function loadHeapMb(limits: Pick<LoadLimits, 'maxTokens' | 'maxBytes'>): number {
  const bytes = (limits.maxTokens * 300 + limits.maxBytes * 2) * 1.2;
  return Math.max(512, Math.ceil(bytes / 2 ** 20));
}

/**
 * How long validating a configuration within `limits` may take before the reload validator
 * (daemon/validate-config.ts) is killed: 120 s with the default limits, and as much more as the
 * larger of the raised word and byte limits is over its default. The default leaves a wide margin
 * (1,000,000 words parse in ~1 s on a host and ~14 s in the emulated test VM, ~14 µs a word), and
 * the margin is kept at any size: a fixed 120 s would refuse, on a slow or saturated director, the
 * reload of a file of 10 million words that `lvsd check-config` accepted.
 */
export function loadTimeoutMs(limits: Pick<LoadLimits, 'maxTokens' | 'maxBytes'>): number {
  const scale = Math.max(
    1,
    limits.maxTokens / defaultLimits.maxTokens,
    limits.maxBytes / defaultLimits.maxBytes,
  );
  return Math.ceil(120_000 * scale);
}

/** The environment variable of each limit an operator may set. */
export const limitVariables = {
  maxBytes: 'LVSD_CONFIG_MAX_BYTES',
  maxFiles: 'LVSD_CONFIG_MAX_FILES',
  maxTokens: 'LVSD_CONFIG_MAX_TOKENS',
} as const;

/**
 * Highest accepted values: a file's text must fit in one V8 string (2^29 - 24 characters in
 * Node 20, so half that leaves room), and the words in memory (about 300 bytes each).
 */
const ceilings: Readonly<Record<keyof typeof limitVariables, number>> = {
  maxBytes: 256 * 1024 * 1024,
  maxFiles: 100_000,
  maxTokens: 10_000_000,
};

const units: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `67108864`, `64M`, `64MiB`, `512k` (binary units) -> a count; undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(?:([kKmMgG])(?:i?B)?)?\s*$/.exec(text);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]) * (units[(m[2] ?? '').toLowerCase()] ?? 1);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** 64 MiB, 1.5 MiB, 512 bytes: for messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export interface LimitProblem {
  variable: string;
  message: string;
}

/** The limits in force: the defaults, `given` (tests), then the environment's overrides. */
export function resolveLimits(
  env: Record<string, string | undefined>,
  given: Partial<LoadLimits> = {},
): { limits: LoadLimits; problems: LimitProblem[] } {
  const limits: LoadLimits = { ...defaultLimits, ...given };
  const problems: LimitProblem[] = [];
  for (const key of Object.keys(limitVariables) as Array<keyof typeof limitVariables>) {
    const variable = limitVariables[key];
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const n = parseSize(raw);
    if (n === undefined || n < 1 || n > ceilings[key]) {
      problems.push({
        variable,
        message:
          `ignored: expected a whole number from 1 to ${ceilings[key]}` +
          `${key === 'maxBytes' ? ' (K, M, G: binary units)' : ''}, got \`${raw}\`; ` +
          `the limit stays ${limits[key]}`,
      });
      continue;
    }
    limits[key] = n;
  }
  return { limits, problems };
}
