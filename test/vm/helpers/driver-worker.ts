// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper, run as a child process inside a network namespace
 * (`ip netns exec NS node driver-worker.js`): serves the IpvsKernel methods of a real driver over
 * JSON lines on stdin/stdout, so a test can drive IPVS in a namespace it created.
 */
import { createInterface } from 'node:readline';
import { openKernelIpvs } from '../../../src/ipvs/kernel.io.js';
import type { IpvsDriver } from '../../../src/ipvs/driver.js';
import type { ServiceKey } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { fromWire, toWire } from './wire.js';

interface Call {
  id: number;
  method:
    | 'open'
    | 'info'
    | 'dump'
    | 'dumpServices'
    | 'dumpDestinations'
    | 'getTimeouts'
    | 'getDaemons'
    | 'apply'
    | 'close';
  args: unknown[];
}

let driver: IpvsDriver | undefined;

async function handle(c: Call): Promise<unknown> {
  if (c.method === 'open') {
    driver = await openKernelIpvs(c.args[0] ?? {});
    return null;
  }
  if (driver === undefined) throw new Error('driver not open');
  switch (c.method) {
    case 'info':
      return driver.info();
    case 'dump':
      return driver.dump();
    case 'dumpServices':
      return driver.dumpServices();
    case 'dumpDestinations':
      return driver.dumpDestinations(c.args[0] as ServiceKey[]);
    case 'getTimeouts':
      return driver.getTimeouts();
    case 'getDaemons':
      return driver.getDaemons();
    case 'apply':
      return driver.apply(c.args[0] as IpvsOp[]);
    case 'close':
      driver.close();
      driver = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const c = fromWire(line) as Call;
  handle(c).then(
    (value) => process.stdout.write(toWire({ id: c.id, ok: true, value }) + '\n'),
    (error: unknown) => process.stdout.write(toWire({ id: c.id, ok: false, error }) + '\n'),
  );
});
rl.on('close', () => process.exit(0));
