// SPDX-License-Identifier: Apache-2.0
/**
 * Validate a configuration file in a child process (`lvsd check-config --result-json --host`: the
 * file and the host checks `lvsd run` makes at start), never on a daemon's event loop: a hostile or
 * huge file (a FIFO, /dev/zero, an include fan-out, 100 MB) costs the child, bounded in time and
 * heap, and the supervisor or VRRP worker keeps feeding the watchdog, sending adverts and handling
 * SIGTERM meanwhile. The child runs at lvsd's own CPU priority, as a small file validated in the
 * supervisor does (an operator waits on it: at nice 19, lvsd's own busy processes starved it for
 * minutes, bench/results/reload-busy.md); the adverts are kept on time by the VRRP worker's own
 * scheduling (process-schedule.ts, realtime in the unit), a hostile file is bounded by the loader's
 * limits. Only a standby child waits at nice 19, until its `go` (validator-standby.ts). It is
 * killed on timeout (config/limits.ts `loadTimeoutMs`: 120 s with the default limits, more with
 * raised ones; the last resort) or abort. Its heap is what any file within the loading limits
 * needs (config/limits.ts `loadHeapMb`): a file that `lvsd check-config` accepts is never refused
 * here for the child's memory.
 *
 * The child's collector is set for what it is: a batch job that builds one large live set (words,
 * statements, model) and exits (`validatorHeapFlags`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadHeapMb, loadTimeoutMs, resolveLimits } from '../config/limits.js';
import { atomicTempPath } from './files.js';
import { LOWEST_NICE, setProcessPriority } from './process-priority.js';
import { validatorArgv } from './validator-argv.js';
import type { Diagnostic, Model } from '../config/model.js';
import type { ReloadWay } from '../config/load.io.js';
import { modelFileLength, parseModelText } from './model-file.js';
import { type ModelShape, asShape } from './model-shape.js';
import {
  type PendingModelFiles,
  type WrittenModelFiles,
  discardPending,
  pendingModelFiles,
} from './validator-files.js';

export interface ValidateOptions {
  configFile: string;
  configId: string | undefined;
  lenient?: boolean;
  /**
   * @default what any file within this process's loading limits may take (config/limits.ts
   * `loadTimeoutMs`: 120 s with the defaults)
   */
  timeoutMs?: number;
  /**
   * V8 heap of the child, MB. @default what any file within this process's loading limits needs
   * (config/limits.ts `loadHeapMb`, from the LVSD_CONFIG_MAX_* the child inherits; 512 with the defaults)
   */
  maxHeapMb?: number;
  /**
   * The configuration's size in bytes, when known (a standby started for the files of the model
   * running: validator-standby.ts): the child's young generation is sized by it (validator-heap.ts).
   */
  configBytes?: number;
  signal?: AbortSignal;
  /**
   * `vrrp`: the model as the VRRP worker reads it (config/views.ts), not the whole one. `files`:
   * the files the supervisor writes for its workers as the child made them (`files`), and as
   * `model` the VRRP view, all the supervisor reads of a model: it never parses the real servers.
   */
  view?: 'vrrp' | 'files' | undefined;
  /** The model running now: virtual servers unchanged since are kept, not parsed (model-file.ts). */
  previous?: Model | undefined;
  /**
   * With `view: 'files'`: the child writes the two model files in this directory (the supervisor's
   * run directory), under names of their own (`written`), instead of sending them: at 100,000 reals
   * model.json is 60 MB, which the supervisor then held as pipe chunks and their copy, and kept in
   * its RSS long after (55 → 180 MB, measured).
   */
  filesDir?: string | undefined;
  /**
   * With `view: 'files'` and `filesDir`: a valid answer's view is not parsed here but handed over
   * (`deferred`), with the model's shape the child said: a reload tells its workers first and reads
   * the view once they have answered (reloader.ts; 5–20 ms at 10,000 virtual servers on the host).
   */
  viewLater?: boolean | undefined;
}

/** A valid answer's view, to be read when the caller has told its workers (`viewLater`). */
export interface DeferredView {
  /** The workers it needs follow from this (reloader.ts `workersFor`). */
  shape: ModelShape;
  /** The VRRP view, parsed now (throws on bytes that are not a model file). */
  view(): Model;
}

export interface ValidationResult {
  /** The model (its VRRP view with `view: 'files'`); undefined when refused or `deferred`. */
  model: Model | undefined;
  /** With `viewLater`, a valid answer's view, not yet parsed (`model` is undefined). */
  deferred?: DeferredView;
  diagnostics: Diagnostic[];
  /** With `view: 'files'` and a valid file: model.json's and model.vrrp.json's bytes. */
  files?: ModelFiles;
  /**
   * With `view: 'files'`, `filesDir` and a valid file: where the child wrote them instead (the
   * caller renames them into place or removes them: run-config.ts `placeModelFiles`).
   */
  written?: WrittenModelFiles;
  /**
   * With `written.delta`: whether the child went on to write the whole model (`written.whole`),
   * resolved once it has exited (killed when it takes longer than the validation may).
   */
  wholeWritten?: Promise<boolean>;
  /**
   * How a standby child read the file: whole, unchanged since it read it waiting, only the
   * statements an edit changed (config/incremental.ts), or ahead (it read the edit while it waited:
   * load.io.ts `FileReloader.current`), and how many statements that reading parsed.
   */
  parsed?: { way: ReloadWay; parsed: number };
  /** A standby's nice value when it could not be raised to lvsd's own at `go` (no CAP_SYS_NICE). */
  notRaised?: number;
}

/** The model files the supervisor hands its workers (run-config.ts writeModelFiles). */
export interface ModelFiles {
  whole: Buffer;
  vrrp: Buffer;
}

/** A finding about the file as a whole (the validation itself failed). */
function fileError(file: string, message: string): ValidationResult {
  return {
    model: undefined,
    diagnostics: [{ severity: 'error', code: 'LVSD_E_CONFIG_IO', message, file, line: 0, col: 0 }],
  };
}

interface Exited {
  out: Buffer;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It could not be started. */
  error?: string;
  /** The last of what it wrote to stderr (Node's and V8's fatal errors: the child itself writes none). */
  stderrTail?: string;
  /** Its V8 heap limit, MB. */
  heapMb?: number;
}

/** What a validator's stderr keeps: enough for V8's fatal error line and Node's stack summary. */
const STDERR_TAIL = 4096;

/** The CPU priority a standby child waits at (the lowest). */
export const STANDBY_NICE = LOWEST_NICE;

/** A validating child, started; `done` resolves when it has exited and its output is read. */
export interface ValidatorProcess {
  child: ChildProcess;
  done: Promise<Exited>;
  /** Where it writes the model files, when it does (`filesDir`). */
  written?: PendingModelFiles;
  /**
   * Its standard output up to the end of its first line (undefined when it closed without one).
   * When it writes the model files, that line is its whole answer, given once they are in place.
   */
  firstLine: Promise<Buffer | undefined>;
  /** Whether it has exited (or could not start). */
  exited(): boolean;
}

/**
 * Start `lvsd check-config --result-json --host` on `o.configFile`; with `wait`, one that loads and
 * warms its parser, then waits for `go` on its standard input (validator-standby.ts).
 */
export function startValidator(o: ValidateOptions, wait = false): ValidatorProcess {
  const heapMb = o.maxHeapMb ?? loadHeapMb(resolveLimits(process.env).limits);
  const written = o.view === 'files' && o.filesDir !== undefined ? pendingModelFiles(o.filesDir) : undefined;
  const args = validatorArgv(o, { wait, heapMb, written });
  const child = spawn(process.execPath, args, { stdio: [wait ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // a standby's warming up yields to everything else: nothing waits on it (raised at its `go`)
  if (wait && child.pid !== undefined) setProcessPriority(child.pid, STANDBY_NICE); // (always permitted)
  child.stdin?.on('error', () => {}); // gone before `go`: its exit says so
  let exited = false;
  const chunks: Buffer[] = [];
  let lineSeen: ((b: Buffer | undefined) => void) | undefined;
  const firstLine = new Promise<Buffer | undefined>((resolve) => (lineSeen = resolve));
  child.stdout?.on('data', (c: Buffer) => {
    chunks.push(c);
    if (lineSeen && c.includes(0x0a)) {
      lineSeen(Buffer.concat(chunks));
      lineSeen = undefined;
    }
  });
  let stderrTail = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderrTail = (stderrTail + c.toString('utf8')).slice(-STDERR_TAIL);
  });
  const done = new Promise<Exited>((resolve) => {
    child.on('error', (e) => {
      exited = true;
      lineSeen?.(undefined);
      resolve({ out: Buffer.alloc(0), code: null, signal: null, error: e.message });
    });
    child.on('close', (code, signal) => {
      exited = true;
      lineSeen?.(undefined);
      resolve({ out: Buffer.concat(chunks), code, signal, stderrTail, heapMb });
    });
  });
  return { child, done, firstLine, exited: () => exited, ...(written ? { written } : {}) };
}

/**
 * The answer of a started validator (`go` given by the caller when it waits), bounded by
 * `o.timeoutMs` and `o.signal` (it is killed). `silent` when it exited without a word and was not
 * killed here: a standby that died before its `go` (the caller may ask another).
 */
export async function validatorAnswer(
  v: ValidatorProcess,
  o: ValidateOptions,
): Promise<{ result: ValidationResult; silent: boolean }> {
  const timeoutMs = o.timeoutMs ?? loadTimeoutMs(resolveLimits(process.env).limits);
  let why: string | undefined;
  const kill = (reason: string): void => {
    why ??= reason;
    v.child.kill('SIGKILL');
  };
  const timer = setTimeout(
    () => kill(`validation did not finish within ${timeoutMs / 1000} s (the time the loading limits allow)`),
    timeoutMs,
  );
  const onAbort = (): void => kill('validation aborted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const early = v.written ? await earlyAnswer(v, o, () => why === undefined) : undefined;
  let result: ValidationResult;
  let silent = false;
  if (early) result = early;
  else {
    const exited = await v.done;
    why ??= exited.error === undefined ? undefined : `cannot run the validator: ${exited.error}`;
    result = why !== undefined ? fileError(o.configFile, why) : answerOf(exited, o, v.written);
    silent = why === undefined && exited.out.length === 0;
  }
  const settled = (): void => {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  };
  const pending = v.written;
  if (result.written?.delta && pending) {
    // the child goes on writing model.json whole, bounded as its validation was
    result.wholeWritten = v.done.then((e) => {
      settled();
      rmSync(atomicTempPath(pending.whole, v.child.pid ?? 0), { force: true }); // killed while writing it
      return e.code === 0 && why === undefined;
    });
  } else {
    settled();
    if (result.written === undefined && pending) discardPending(pending, v.child.pid ?? 0);
  }
  return { result, silent };
}

/**
 * The answer of a child that writes the model files, as soon as its line comes: it prints that
 * line once they are in place, and it is all it says; the child may still be exiting (~0.1 s more
 * at 100,000 reals, its heap let go). Undefined when it said no such line (`ok` false: killed here).
 */
async function earlyAnswer(
  v: ValidatorProcess,
  o: ValidateOptions,
  ok: () => boolean,
): Promise<ValidationResult | undefined> {
  const line = await v.firstLine;
  if (line === undefined || !ok()) return undefined;
  try {
    return parsedAnswer(line, o, v.written);
  } catch {
    return undefined; // not an answer: the exit says why
  }
}

/**
 * What a validator that exited on its own said: a line with the findings, then the model files,
 * or, when it wrote them (`written`), the line alone.
 */
function answerOf(
  exited: Exited,
  o: ValidateOptions,
  written: PendingModelFiles | undefined,
): ValidationResult {
  try {
    return parsedAnswer(exited.out, o, written);
  } catch {
    return fileError(o.configFile, whyItFailed(exited));
  }
}

/** A validator's output as its answer; throws when it is not one. */
function parsedAnswer(
  out: Buffer,
  o: ValidateOptions,
  pending: PendingModelFiles | undefined,
): ValidationResult {
  const nl = out.indexOf(0x0a);
  const head = JSON.parse(out.toString('utf8', 0, nl < 0 ? out.length : nl)) as {
    diagnostics: Diagnostic[];
    model: boolean;
    written?: boolean;
    /** It wrote a delta first, of this many virtual servers, and goes on to write model.json. */
    delta?: number;
    parsed?: ValidationResult['parsed'];
    /** How many VRRP instances and virtual servers the model has (check-config.ts). */
    shape?: unknown;
  };
  if (!head.model) return { model: undefined, diagnostics: head.diagnostics };
  const parsed = head.parsed ? { parsed: head.parsed } : {};
  if (head.written === true && pending !== undefined) {
    const { whole, vrrp } = pending;
    const delta = head.delta === undefined ? {} : { delta: { path: pending.delta, lines: head.delta } };
    const bytes = readFileSync(vrrp); // (read before the caller renames it into place)
    const view = (): Model => parseModelText(bytes, o.previous); // unchanged virtual servers kept
    const shape = o.viewLater ? asShape(head.shape) : undefined;
    return {
      ...(shape ? { model: undefined, deferred: { shape, view } } : { model: view() }),
      diagnostics: head.diagnostics,
      written: { whole, vrrp, ...delta },
      ...parsed,
    };
  }
  if (nl < 0) return { model: undefined, diagnostics: head.diagnostics };
  const body = out.subarray(nl + 1);
  if (o.view !== 'files') return { model: parseModelText(body, o.previous), diagnostics: head.diagnostics };
  // model.json, then model.vrrp.json: split where the first ends, only the view parsed
  const end = modelFileLength(body);
  const files = { whole: body.subarray(0, end), vrrp: body.subarray(end) };
  return { model: parseModelText(files.vrrp), diagnostics: head.diagnostics, files, ...parsed };
}

export async function validateConfigInChild(o: ValidateOptions): Promise<ValidationResult> {
  return (await validatorAnswer(startValidator(o), o)).result;
}

/**
 * Why a validator ended without an answer, in the operator's words: its memory (V8's heap limit,
 * or a SIGKILL that was not ours: the kernel's OOM killer, usually), else its status.
 */
function whyItFailed({ code, signal, stderrTail = '', heapMb }: Exited): string {
  if (/heap out of memory|Reached heap limit/.test(stderrTail))
    return (
      `the validator ran out of memory: its heap limit is ${heapMb ?? '?'} MB, sized for the loading ` +
      'limits (LVSD_CONFIG_MAX_TOKENS, LVSD_CONFIG_MAX_BYTES; docs/config.md "Limits")'
    );
  if (signal === 'SIGKILL')
    return 'the validator was killed (SIGKILL): by the kernel when the machine is out of memory, or by hand';
  return `the validator failed (exit ${code ?? signal ?? '?'})`;
}
