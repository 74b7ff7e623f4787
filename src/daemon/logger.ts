// SPDX-License-Identifier: Apache-2.0
/**
 * The daemon's Logger, backed by winston with syslog's priorities (error 3, warning 4, notice 5,
 * info 6, debug 7): one line per event to stdout (journald adds the time), structured fields
 * appended as key=value, or JSON lines with `format: 'json'`. When stdout is the journal
 * (`JOURNAL_STREAM` names it, as systemd sets it) each text line starts with its `<N>` priority,
 * which journald reads, so `journalctl -p warning` works; JSON lines carry `priority` as a field.
 *
 * Lines go to stdout in one write per event-loop turn (batchedStdout). winston is loaded after the
 * first line is logged, not when this module is imported or the logger is created: as a package,
 * its ~90 files cost ~30 ms on the host and seconds in the slow test VM; bin/lvsd's bundle carries
 * it as one file (scripts/bundle.ts), still ~350 KB to compile. And not *at* that line either but
 * `loadDelayMs` later (at exit at once): the VRRP worker's first lines come with its start and an
 * address owner's MASTER transition, whose netlink exchanges (the stale VIPs' removal, the VIPs'
 * addition, then the GARPs) take a few ms; loading winston at the line, or at the next turn of
 * the loop, put ~30 ms between spawn and the VIP (bench/results/cold-start.md). Lines logged
 * before it loads wait, in order, their fields copied, and are written as soon as it has.
 * Output is winston's either way.
 */
import { existsSync, fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type winston from 'winston';
import type { LogFields, Logger } from '../core/log.js';
import { guardStdOutput, stdoutGone } from '../core/std-output.js';

export type LogLevel = 'error' | 'warn' | 'notice' | 'info' | 'debug';

/** syslog priority of each level (RFC 5424). */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

/** Whether stdout is the journal: JOURNAL_STREAM is `DEV:INODE` of the stream systemd connected. */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const js = env['JOURNAL_STREAM'];
  if (!js) return false;
  try {
    const st = fstatSync(1);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

type Winston = typeof winston;

let loaded: Winston | undefined;

/** How long after the first line winston loads: past a start's first burst of netlink work. */
const loadDelayMs = 50;

/** Lines logged before winston loaded, in order; written once it has (or at exit). */
let waiting: Array<() => void> | undefined;

function afterLoad(write: () => void): void {
  if (waiting) {
    waiting.push(write);
    return;
  }
  waiting = [write];
  // not unref'd: a process with nothing else to do waits for it, so the lines leave as writes
  // the loop sees through (at exit a write to a full pipe is cut short); process.exit() before
  // then writes them from the exit handler
  setTimeout(writeWaiting, loadDelayMs);
  process.on('exit', writeWaitingAtExit);
}

function writeWaiting(): void {
  const lines = waiting ?? [];
  waiting = undefined;
  process.off('exit', writeWaitingAtExit);
  winstonModule();
  for (const write of lines) write();
}

/** At exit the batched stdout's own exit flush may already have run: flush it after these. */
function writeWaitingAtExit(): void {
  writeWaiting();
  flushBatched();
}

/** The one-file winston scripts/bundle.ts writes beside the bundle's chunks. */
export const winstonBundleName = 'winston.cjs';

/**
 * winston (CommonJS), loaded synchronously the first time it is needed: from the bundle's one file
 * when this module runs from the bundle (bin/lvsd), else (tsc's output: the unit tests, scripts)
 * the package.
 */
function winstonModule(): Winston {
  if (loaded) return loaded;
  const bundled = new URL(`./${winstonBundleName}`, import.meta.url);
  const require = createRequire(import.meta.url);
  loaded = (existsSync(bundled) ? require(fileURLToPath(bundled)) : require('winston')) as Winston;
  return loaded;
}

let batched: Writable | undefined;
let flushBatched = (): void => {};

/**
 * stdout, with the lines of one event-loop turn written together: a worker bringing up 10,000
 * reals logs 20,000 lines, and one write() each cost ~3.5 s of its start-up in the slow VM. The
 * lines still leave in order, before the next turn; whatever is pending at exit is written then.
 */
function batchedStdout(): Writable {
  if (batched) return batched;
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    if (!stdoutGone()) process.stdout.write(text);
  };
  process.on('exit', flush);
  flushBatched = flush;
  batched = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      pending.push(chunk);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      done();
    },
  });
  return batched;
}

/** `k=v` for each own string-keyed field but level and message; values with whitespace JSON-quoted. */
function keyValues(fields: Record<string, unknown>): string {
  // A plain loop: this runs for every line (20,000 at a 10,000-real start).
  let out = '';
  for (const k of Object.keys(fields)) {
    if (k === 'level' || k === 'message' || fields[k] === undefined) continue;
    // Fields are LogFields (primitives) plus the `proc` name: String() never sees an object.
    const v = fields[k] as LogFields[string];
    const text = typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v);
    out += out === '' ? `${k}=${text}` : ` ${k}=${text}`;
  }
  return out;
}

/** The level names winston prints (syslog's: `warning`, not `warn`). */
const SYSLOG_NAME: Record<LogLevel, string> = {
  error: 'error',
  warn: 'warning',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
};

export function createLogger(
  opts: { level?: LogLevel; format?: 'text' | 'json'; name?: string; journal?: boolean } = {},
): Logger {
  // a daemon outlives its output's reader (core/std-output.ts): lines are dropped once it has gone
  guardStdOutput();
  const level = opts.level ?? 'info';
  const journal = opts.journal ?? stdoutIsJournal();
  const priorityOf = (name: string): number =>
    PRIORITY[(Object.keys(SYSLOG_NAME) as LogLevel[]).find((l) => SYSLOG_NAME[l] === name) ?? 'info'];
  return lazy(PRIORITY[level], () => {
    const w = winstonModule();
    return w.createLogger({
      levels: w.config.syslog.levels,
      level: SYSLOG_NAME[level],
      format:
        opts.format === 'json'
          ? w.format.combine(
              w.format((info) => ({ ...info, priority: priorityOf(info.level) }))(),
              w.format.timestamp(),
              w.format.json(),
            )
          : w.format.printf((info) => {
              const { level, message, ...rest } = info;
              const kv = keyValues(rest);
              const prefix = journal ? `<${priorityOf(level)}>` : '';
              return `${prefix}${level}: ${String(message)}${kv ? ' ' + kv : ''}`;
            }),
      // What the Console transport wrote (every level to stdout, os.EOL), batched per turn.
      transports: [new w.transports.Stream({ stream: batchedStdout() })],
      defaultMeta: opts.name ? { proc: opts.name } : {},
    });
  });
}

/**
 * A Logger over the winston logger `make` builds, built on the first line at or above `max` (a
 * syslog priority; children too) once winston has loaded (afterLoad); lines winston would drop
 * anyway are dropped here without it.
 */
function lazy(max: number, make: () => winston.Logger): Logger {
  let w: winston.Logger | undefined;
  const get = (): winston.Logger => (w ??= make());
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (PRIORITY[level] > max) return;
      if (loaded) return void get().log(SYSLOG_NAME[level], msg, fields ?? {});
      const kept = { ...fields }; // as they were when logged
      afterLoad(() => get().log(SYSLOG_NAME[level], msg, kept));
    };
  return {
    error: at('error'),
    warn: at('warn'),
    notice: at('notice'),
    info: at('info'),
    debug: at('debug'),
    child: (fields: LogFields) => lazy(max, () => get().child(fields)),
  };
}
