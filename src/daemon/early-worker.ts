// SPDX-License-Identifier: Apache-2.0
/**
 * A worker forked early. A worker's start-up (the Node runtime, then its modules: about as long as
 * the supervisor's validation of the config) need not wait for the validated model: the supervisor
 * forks the workers the config may need as soon as it holds the run directory, with
 * `--await-model`, and tells each `modelReady` once the model file is written (cold start: the VIPs
 * of an address owner, and the first IPVS table, come up that much sooner). A config that turns
 * out not to need it, or to be invalid, dismisses it: SIGTERM before the model ends it quietly,
 * having started no engine. The worker dies with the supervisor from its first moments
 * (PR_SET_PDEATHSIG, and the closed IPC channel), so an early worker is never an orphan.
 */
import type { ChildProcess } from 'node:child_process';
import { sendQuietly, type SupervisorMessage } from './worker-ipc.js';
import { awaitModelFlag } from './worker-argv.js';
import { forkWorker, type WorkerSpec } from './worker-specs.js';

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export class EarlyWorker {
  readonly #spec: Pick<WorkerSpec, 'name' | 'modulePath' | 'args' | 'nodeFlags'>;
  #child: ChildProcess | undefined;

  /** Fork it now; it waits for `take` (the model written) or `dismiss`. */
  constructor(spec: Pick<WorkerSpec, 'name' | 'modulePath' | 'args' | 'nodeFlags'>) {
    this.#spec = spec;
    this.#child = forkWorker({ ...spec, args: [...spec.args, awaitModelFlag] });
    // its exit is the supervisor's business only once taken; until then nothing else listens
    this.#child.on('error', () => {});
  }

  /** Which worker it is (`vrrp`, `lvs`). */
  get name(): string {
    return this.#spec.name;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * The early process for `spec`, told that its model is written: once, and only while it still
   * runs, was forked for the same worker with the same arguments. Else undefined (and it is
   * dismissed): the caller forks as usual.
   */
  take(spec: Pick<WorkerSpec, 'name' | 'modulePath' | 'args' | 'nodeFlags'>): ChildProcess | undefined {
    const child = this.#child;
    this.#child = undefined;
    if (!child) return undefined;
    const same =
      spec.name === this.#spec.name &&
      spec.modulePath === this.#spec.modulePath &&
      sameList(spec.args, this.#spec.args) &&
      sameList(spec.nodeFlags ?? [], this.#spec.nodeFlags ?? []);
    if (!same || !running(child) || !child.connected) {
      stop(child);
      return undefined;
    }
    const go: SupervisorMessage = { type: 'modelReady' };
    try {
      sendQuietly(child, go);
    } catch {
      stop(child);
      return undefined;
    }
    return child;
  }

  /**
   * Not needed (nothing to take it, or the config is invalid): it ends without starting an engine.
   * Resolves once it has exited (SIGKILL after `graceMs`), so that a supervisor that exits next
   * leaves no worker holding the run directory's lock behind it.
   */
  dismiss(graceMs = 5000): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || !running(child)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      stop(child);
    });
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function stop(child: ChildProcess): void {
  if (running(child)) child.kill('SIGTERM');
}
