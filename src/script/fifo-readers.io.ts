// SPDX-License-Identifier: Apache-2.0
/**
 * The notify-FIFO reader scripts (`notify_fifo_script`, `vrrp_notify_fifo_script`,
 * `lvs_notify_fifo_script`), started as keepalived 2.2.7 starts them (lib/notify.c `fifo_open`):
 * by the worker that writes the FIFO, once the FIFO exists, with the FIFO's path appended to its
 * argv, through the one script runner (its own user, else `script_user`; `enable_script_security`
 * checked before the start), in a process group of its own, with no timeout. When it ends the end
 * is logged and it is not started again (keepalived neither). Stopping the worker stops it (SIGTERM
 * to its group, SIGKILL 2 s later; keepalived: SIGTERM when its process exits).
 *
 * Which worker starts which (`fifoReadersOf`, pure): the VRRP worker the VRRP FIFO's script, the LVS
 * worker the LVS FIFO's. keepalived starts the global FIFO's script in each of its processes, so
 * two copies read the one FIFO and each gets some of its lines; lvsd starts it once, in the VRRP
 * worker (in the LVS worker when there is no VRRP instance). As keepalived: a VRRP or LVS FIFO
 * that is the global one is the global one (its own script is not started); an LVS FIFO that is
 * the VRRP FIFO with both scripts set runs the VRRP one only.
 *
 * A reload applies the new set: a reader whose FIFO and command are unchanged keeps running
 * (keepalived restarts every reader at each reload), a changed or removed one is stopped, a new
 * one (or one that had ended) started.
 */
import type { FifoSpec, GlobalDefs } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { withDefaultUser, type ScriptCommand } from './command.js';
import { describeOutcome } from './outcome.js';
import type { ScriptRunner } from './runner.io.js';

/** One FIFO reader to run: the script and the FIFO whose path it is given. */
export interface FifoReader {
  readonly fifo: string;
  readonly script: ScriptCommand;
}

/** The notify FIFOs of `global_defs` and `script_user`. */
export type FifoSettings = Pick<GlobalDefs, 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo' | 'scriptUser'>;

/** The readers `worker` starts (see the module comment); `vrrpRuns`: a VRRP worker runs too. */
export function fifoReadersOf(g: FifoSettings, worker: 'vrrp' | 'lvs', vrrpRuns: boolean): FifoReader[] {
  const out: FifoReader[] = [];
  const add = (f: FifoSpec | undefined): void => {
    if (f?.script) out.push({ fifo: f.path, script: withDefaultUser(f.script, g.scriptUser) });
  };
  const global = g.notifyFifo;
  const own = worker === 'vrrp' ? g.vrrpNotifyFifo : g.lvsNotifyFifo;
  if (worker === 'vrrp' || !vrrpRuns) add(global);
  if (!own || own.path === global?.path) return out;
  const vrrp = g.vrrpNotifyFifo;
  const sharedWithVrrp = worker === 'lvs' && vrrpRuns && vrrp?.path === own.path && vrrp.script !== undefined;
  if (!sharedWithVrrp) add(own);
  return out;
}

const keyOf = (r: FifoReader): string =>
  JSON.stringify([r.fifo, r.script.argv, r.script.user, r.script.group]);

interface Started {
  readonly reader: FifoReader;
  readonly stop: AbortController;
  readonly ended: Promise<void>;
}

/** The FIFO readers of one worker. */
export class FifoReaders {
  readonly #runner: ScriptRunner;
  readonly #log: Logger;
  readonly #running = new Map<string, Started>();
  /** Readers started, and those that could not start (script security, unknown user, exec error). */
  readonly counters = { started: 0, failed: 0 };

  constructor(o: { readonly runner: ScriptRunner; readonly log: Logger }) {
    this.#runner = o.runner;
    this.#log = o.log;
  }

  /** Readers still running. */
  get running(): number {
    return this.#running.size;
  }

  /** Run exactly `readers`: keep the unchanged, stop the others, start the new. */
  async apply(readers: readonly FifoReader[]): Promise<void> {
    const want = new Map(readers.map((r) => [keyOf(r), r]));
    const leaving = [...this.#running].filter(([k]) => !want.has(k));
    for (const [k, s] of leaving) {
      this.#running.delete(k);
      s.stop.abort();
    }
    await Promise.all(leaving.map(([, s]) => s.ended));
    for (const [k, r] of want) if (!this.#running.has(k)) this.#start(k, r);
  }

  #start(key: string, reader: FifoReader): void {
    const stop = new AbortController();
    const script = reader.script.argv[0] ?? '';
    this.counters.started++;
    this.#log.info('notify FIFO script started', { script, fifo: reader.fifo });
    const ended = this.#runner
      .run(reader.script, { args: [reader.fifo], timeoutMs: Infinity, signal: stop.signal })
      .then((o) => {
        if (this.#running.get(key)?.stop === stop) this.#running.delete(key);
        if (o.kind === 'aborted') return;
        if (o.kind === 'error') {
          this.counters.failed++;
          this.#log.error('notify FIFO script not started', { script, fifo: reader.fifo, error: o.error });
        } else this.#log.warn('notify FIFO script ended', { script, outcome: describeOutcome(o) });
      });
    this.#running.set(key, { reader, stop, ended });
  }

  /** Stop every reader; resolves when all have ended. */
  stop(): Promise<void> {
    return this.apply([]);
  }
}
