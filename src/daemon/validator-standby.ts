// SPDX-License-Identifier: Apache-2.0
/**
 * The supervisor's next validating child, started ahead of the reload that will need it. A large
 * configuration (one that validate-here.ts does not take) is validated in a child process; most of
 * a child's time before the parse is Node's start and the loading of the configuration language
 * (~1.5 s of ~5 s in the emulated test VM at 1,000 x 10), and its parse runs on cold code. A
 * standby child pays both while nothing waits on it: it loads its modules, parses a generated
 * configuration to warm the parser (config/warm-up.io.ts), then waits, at nice 19, reading each edit
 * saved meanwhile and writing the model files for it (check-config.ts `readingAhead`), for `go` on its
 * standard input; a reload raises it to lvsd's own priority, gives it `go` and reads its answer as
 * any child's (a standby still warming up when a reload comes finishes at that priority: at nice 19
 * on a director whose cores were busy, its first parse took minutes). It holds the same
 * file, config id and `--lenient` as the reloads of this `lvsd run`; another file (a dry run of
 * `-f OTHER`) gets a child of its own.
 *
 * Its cost is one idle Node process while the configuration is large (none for a small one: the
 * supervisor dismisses it when a reload validated here). A standby that died before its `go`
 * (killed by hand, out of memory) is replaced by a fresh child for that reload: a reload is never
 * refused for a standby's death. It exits by itself when the supervisor does (its standard input
 * ends without `go`).
 */
import { getPriority } from 'node:os';
import { setProcessPriority } from './process-priority.js';
import {
  STANDBY_NICE,
  type ValidateOptions,
  type ValidationResult,
  type ValidatorProcess,
  startValidator,
  validateConfigInChild,
  validatorAnswer,
} from './validate-config.js';
import { discardPending } from './validator-files.js';

type Fixed = Pick<
  ValidateOptions,
  'configFile' | 'configId' | 'lenient' | 'timeoutMs' | 'maxHeapMb' | 'filesDir'
>;

export class StandbyValidator {
  readonly #fixed: Fixed;
  #waiting: ValidatorProcess | undefined;
  #closed = false;

  constructor(fixed: Fixed) {
    this.#fixed = fixed;
  }

  /** The pid of the child waiting now, if one is. */
  get waitingPid(): number | undefined {
    return this.#waiting && !this.#waiting.exited() ? this.#waiting.child.pid : undefined;
  }

  /**
   * Have a child wait for the next reload (none is started when one already waits); `configBytes`:
   * the size of the files it will read, for its young generation (validator-heap.ts).
   */
  prepare(configBytes?: number): void {
    if (this.#closed || this.waitingPid !== undefined) return;
    const sized = configBytes !== undefined ? { configBytes } : {};
    this.#waiting = startValidator({ ...this.#fixed, ...sized, view: 'files' }, true);
  }

  /**
   * Validate as the child does with `view: 'files'`: by the waiting child when it is for this file
   * and alive, else by a fresh one. The next one is not started here: its spawn holds the caller's
   * event loop for milliseconds (fork and exec of Node: ~5-10 ms on a host) that the reload's
   * workers are waiting through; the caller calls `prepare()` once they are told.
   */
  async validate(
    o: Pick<ValidateOptions, 'configFile' | 'configId' | 'lenient' | 'signal' | 'previous' | 'viewLater'>,
  ): Promise<ValidationResult> {
    const opts: ValidateOptions = { ...this.#fixed, ...o, view: 'files' };
    const same =
      o.configFile === this.#fixed.configFile &&
      o.configId === this.#fixed.configId &&
      (o.lenient ?? false) === (this.#fixed.lenient ?? false);
    const fresh = (): Promise<ValidationResult> => validateConfigInChild(opts);
    if (!same) return fresh();
    const waiting = this.#take();
    let r: ValidationResult;
    if (waiting) {
      const raised = raiseToOurs(waiting.child.pid);
      waiting.child.stdin?.end('go\n');
      const answer = await validatorAnswer(waiting, opts);
      // it died before its `go`, or between `go` and a word: this reload asks a fresh child
      r = answer.silent
        ? await fresh()
        : { ...answer.result, ...(raised ? {} : { notRaised: STANDBY_NICE }) };
    } else r = await fresh();
    return r;
  }

  /**
   * No child waits any longer (a small configuration, or the supervisor stops). What it wrote
   * ahead (after an edit it read while waiting: check-config.ts) is removed once it has exited.
   */
  dismiss(): void {
    const w = this.#take();
    if (!w) return;
    w.child.stdin?.end(); // it exits without a word
    const pending = w.written;
    if (pending) void w.done.then(() => discardPending(pending, w.child.pid ?? 0));
  }

  /** Dismissed for good: nothing is prepared after this. */
  close(): void {
    this.#closed = true;
    this.dismiss();
  }

  /** The waiting child, taken; undefined when none is alive (a dead one's files removed). */
  #take(): ValidatorProcess | undefined {
    const w = this.#waiting;
    this.#waiting = undefined;
    if (!w?.exited()) return w;
    if (w.written) discardPending(w.written, w.child.pid ?? 0);
    return undefined;
  }
}

/**
 * A standby's process at this one's CPU priority (it waited at `STANDBY_NICE`), every thread of it;
 * false when not permitted (a root `lvsd run` may, and the unit's LimitNICE= lets it) or gone.
 */
function raiseToOurs(pid: number | undefined): boolean {
  return pid !== undefined && setProcessPriority(pid, getPriority());
}
