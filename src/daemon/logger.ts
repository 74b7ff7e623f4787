// SPDX-License-Identifier: Apache-2.0
/**
 * The daemon's Logger, backed by winston: one line per event to stdout (journald adds the time),
 * structured fields appended as key=value, or JSON lines with `format: 'json'`.
 *
 * Lines go to stdout in one write per event-loop turn (batchedStdout). winston is loaded on the
 * first line logged, not when this module is imported or the logger is
 * created: its ~90 files cost > 1 s to load in the slow test VM, and a worker logs nothing before
 * its first kernel sync, so that cost moves out of start-up. Output is winston's either way.
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type winston from 'winston';
import type { LogFields, Logger } from '../core/log.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

type Winston = typeof winston;

let loaded: Winston | undefined;

/** winston (a CommonJS package), loaded synchronously the first time it is needed. */
function winstonModule(): Winston {
  loaded ??= createRequire(import.meta.url)('winston') as Winston;
  return loaded;
}

let batched: Writable | undefined;

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
    process.stdout.write(text);
  };
  process.on('exit', flush);
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

export function createLogger(
  opts: { level?: LogLevel; format?: 'text' | 'json'; name?: string } = {},
): Logger {
  const level = opts.level ?? 'info';
  return lazy(rank[level], () => {
    const w = winstonModule();
    return w.createLogger({
      level,
      format:
        opts.format === 'json'
          ? w.format.combine(w.format.timestamp(), w.format.json())
          : w.format.printf((info) => {
              const { level, message, ...rest } = info;
              const kv = keyValues(rest);
              return `${level}: ${String(message)}${kv ? ' ' + kv : ''}`;
            }),
      // What the Console transport wrote (every level to stdout, os.EOL), batched per turn.
      transports: [new w.transports.Stream({ stream: batchedStdout() })],
      defaultMeta: opts.name ? { proc: opts.name } : {},
    });
  });
}

/** winston's npm levels (the ones a Logger has): a line is written when its rank is <= the logger's. */
const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 5 };

/**
 * A Logger over the winston logger `make` builds, built on the first line at or above `max`
 * (children too); lines winston would drop anyway are dropped here without building it.
 */
function lazy(max: number, make: () => winston.Logger): Logger {
  let w: winston.Logger | undefined;
  const get = (): winston.Logger => (w ??= make());
  return {
    error: (msg: string, fields?: LogFields) => void get().error(msg, fields ?? {}),
    warn: (msg: string, fields?: LogFields) => void get().warn(msg, fields ?? {}),
    info: (msg: string, fields?: LogFields) => {
      if (max >= rank.info) get().info(msg, fields ?? {});
    },
    debug: (msg: string, fields?: LogFields) => {
      if (max >= rank.debug) get().debug(msg, fields ?? {});
    },
    child: (fields: LogFields) => lazy(max, () => get().child(fields)),
  };
}
