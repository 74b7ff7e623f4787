// SPDX-License-Identifier: Apache-2.0
/**
 * bench/reload-delta.ts's LVS worker, a process of its own as the daemon's is (forked with the
 * daemon's LVS worker flags, daemon/worker-specs.ts, and any the bench adds): the model it runs
 * read from model.json at start, its spec builder and check manager over the in-memory kernel;
 * told a reload's `go` instant, it reads the model files (run-config.ts `readModelFiles`), builds
 * the spec and reloads the manager, and says when it had the model and when the kernel was asked
 * (ms on one clock for every process: `performance.timeOrigin + performance.now()`).
 */
import { CheckSpecBuilder } from '../../src/check/spec-builder.js';
import { desiredTable } from '../../src/check/desired.js';
import { buildWorld } from '../../src/check/virtual-server.js';
import { readModelFiles } from '../../src/daemon/run-config.js';
import { FakeIpvsKernel } from '../../test/fakes/fake-ipvs-kernel.js';
import { startedManager } from './reload-file.js';

/** What the bench asks this thread: read the files in place now (the reload's `go` at `t0`). */
export interface LvsWorkerAsk {
  t0: number;
}

/** Its answer: when it had the model and when the kernel was asked (absolute ms), how many operations. */
export interface LvsWorkerAnswer {
  read: number;
  sent: number;
  ops: number;
}

/** The clock every process shares, ms (Performance's origin is the wall clock at its start). */
export const absoluteNow = (): number => performance.timeOrigin + performance.now();

/** The variable a forked worker finds model.json's path in. */
export const MODEL_PATH_VARIABLE = 'LVSD_BENCH_MODEL_PATH';

const modelPath = process.env[MODEL_PATH_VARIABLE];
if (process.send && modelPath) {
  const answer = process.send.bind(process);
  let running = await readModelFiles(modelPath);
  const builder = new CheckSpecBuilder();
  const first = builder.build(running);
  const kernel = new FakeIpvsKernel(desiredTable(first, buildWorld(first)));
  let sent = 0;
  const apply = kernel.apply.bind(kernel);
  kernel.apply = (ops) => {
    sent = absoluteNow();
    return apply(ops);
  };
  const manager = await startedManager(kernel, first);
  process.on('message', (_ask: LvsWorkerAsk) => {
    void (async () => {
      const model = await readModelFiles(modelPath, running);
      const read = absoluteNow();
      running = model;
      const ops = (await manager.reload(builder.build(model))).length;
      answer({ read, sent, ops } satisfies LvsWorkerAnswer);
    })();
  });
  answer('ready');
}
