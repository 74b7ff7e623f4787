// SPDX-License-Identifier: Apache-2.0
/**
 * The daemon's Logger, backed by winston: one line per event to stdout (journald adds the time),
 * structured fields appended as key=value, or JSON lines with `format: 'json'`.
 */
import winston from 'winston';
import type { LogFields, Logger } from '../core/log.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

function keyValues(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k, v]) => v !== undefined && k !== 'level' && k !== 'message')
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

export function createLogger(
  opts: { level?: LogLevel; format?: 'text' | 'json'; name?: string } = {},
): Logger {
  const base = winston.createLogger({
    level: opts.level ?? 'info',
    format:
      opts.format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.json())
        : winston.format.printf((info) => {
            const { level, message, ...rest } = info;
            const kv = keyValues(rest);
            return `${level}: ${String(message)}${kv ? ' ' + kv : ''}`;
          }),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
    defaultMeta: opts.name ? { proc: opts.name } : {},
  });
  return wrap(base);
}

function wrap(w: winston.Logger): Logger {
  return {
    error: (msg: string, fields?: LogFields) => void w.error(msg, fields ?? {}),
    warn: (msg: string, fields?: LogFields) => void w.warn(msg, fields ?? {}),
    info: (msg: string, fields?: LogFields) => void w.info(msg, fields ?? {}),
    debug: (msg: string, fields?: LogFields) => void w.debug(msg, fields ?? {}),
    child: (fields: LogFields) => wrap(w.child(fields)),
  };
}
