// SPDX-License-Identifier: Apache-2.0
/**
 * `ipvsadm -S` / `ipvsadm-save` text -> kernel operations, and -> a desired table. Pure.
 *
 * Lines are read as `ipvsadm -R` reads them (config_stream.c): split on blanks, a token
 * `ipvsadm` is dropped (so `ipvsadm -A ...` lines work too), blank lines are skipped; lines
 * starting with `#` are dropped as `ipvsadm-restore` does (`grep -v '^#'`). Unlike `ipvsadm -R`,
 * which exits at the first malformed line after applying the lines before it, the whole text is
 * checked first, so a bad file changes nothing.
 */
import type { Result } from '../core/errors.js';
import type { ArgResolver } from './ipvsadm-args.js';
import { parseIpvsadmArgs } from './ipvsadm-args.js';
import type { IpvsTable } from './model.js';
import type { IpvsOp } from './ops.js';
import { parseSaveLineFast } from './save-line.js';
import { TableBuilder } from './table-model.js';

export interface RestoreError {
  /** 1-based line number in the input. */
  line: number;
  message: string;
}

/**
 * Restore text's argument vectors, with their line numbers, one at a time: a caller that parses
 * each before taking the next lets its tokens die young (a 100,000-line file split whole first kept
 * a million strings alive into the old generation; its collections were 40 % of the parse).
 */
export function* restoreLines(text: string): Generator<{ line: number; args: string[] }> {
  let at = 0;
  for (let line = 1; at <= text.length; line++) {
    const nl = text.indexOf('\n', at);
    const raw = text.slice(at, nl < 0 ? text.length : nl);
    at = nl < 0 ? text.length + 1 : nl + 1;
    if (raw.startsWith('#')) continue;
    const args = raw.split(/[ \t\r]+/).filter((t) => t !== '' && t !== 'ipvsadm');
    if (args.length > 0) yield { line, args };
  }
}

/** One line's arguments as an `IpvsOp`; listing, saving and nested restore are refused. */
function parseRestoreArgs(args: string[], resolver: ArgResolver): Result<IpvsOp, string> {
  const fast = parseSaveLineFast(args);
  if (fast !== undefined) return { ok: true, value: fast };
  const r = parseIpvsadmArgs(args, resolver);
  if (!r.ok)
    return { ok: false, error: r.error.tryHelp ? `cannot parse '${args.join(' ')}'` : r.error.message };
  if (r.value.cmd !== 'op') return { ok: false, error: `'${args[0]}' cannot be used in restore input` };
  return { ok: true, value: r.value.op };
}

/** Every line as an `IpvsOp`, in order; listing, saving and nested restore are refused. */
export function parseRestore(text: string, resolver: ArgResolver = {}): Result<IpvsOp[], RestoreError> {
  const ops: IpvsOp[] = [];
  for (const { line, args } of restoreLines(text)) {
    const r = parseRestoreArgs(args, resolver);
    if (!r.ok) return { ok: false, error: { line, message: r.error } };
    ops.push(r.value);
  }
  return { ok: true, value: ops };
}

const tableOps = new Set<IpvsOp['op']>([
  'addService',
  'editService',
  'delService',
  'addDest',
  'editDest',
  'delDest',
  'flush',
]);

/**
 * Save text -> the table it describes (for `lvsd ipvs apply FILE`): the lines are played on an
 * empty table with the kernel's rules, so a duplicate `-A` or a `-a` without its service is an
 * error with its line number, as the kernel would report it.
 */
export function restoreToTable(text: string, resolver: ArgResolver = {}): Result<IpvsTable, RestoreError> {
  const table = new TableBuilder();
  for (const { line, args } of restoreLines(text)) {
    const parsed = parseRestoreArgs(args, resolver);
    if (!parsed.ok) return { ok: false, error: { line, message: parsed.error } };
    const op = parsed.value;
    if (!tableOps.has(op.op)) {
      return {
        ok: false,
        error: { line, message: `'${args[0]}' does not describe the table (only -A/-E/-D/-a/-e/-d/-C)` },
      };
    }
    const errno = table.apply(op);
    if (errno) return { ok: false, error: { line, message: kernelMessage(op, errno) } };
  }
  return { ok: true, value: table.table() };
}

/** ipvsadm's wording (libipvs ipvs_strerror) for a kernel errno of an op. */
export function kernelMessage(op: IpvsOp, errno: string): string {
  const svcOp =
    op.op === 'addService' || op.op === 'editService' || op.op === 'delService' || op.op === 'zero';
  switch (errno) {
    case 'EEXIST':
      return op.op === 'addService'
        ? 'Service already exists'
        : op.op === 'startDaemon'
          ? 'Daemon has already run'
          : 'Destination already exists';
    case 'ESRCH':
      return op.op === 'stopDaemon'
        ? 'No daemon is running'
        : svcOp
          ? 'No such service'
          : 'Service not defined';
    case 'ENOENT':
      return svcOp ? 'Scheduler or persistence engine not found' : 'No such destination';
    case 'EPERM':
      return 'Permission denied (you must be root)';
    case 'EINVAL':
      return 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
    case 'ENOMEM':
      return 'Memory allocation problem';
    case 'EAFNOSUPPORT':
      return 'Operation not supported with specified address family';
    default:
      return errno;
  }
}
