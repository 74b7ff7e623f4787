// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd ipvs` as bin/lvsd runs it: this module and all it imports are bundled alone into one
 * CommonJS file (scripts/bundle.ts: dist/bundle/lvsd/ipvs.cjs), which bin/lvsd requires for an
 * `ipvs` command line without starting Node's ES module loader. An operator's or a script's
 * `lvsd ipvs -Ln` pays Node's start and this one file: ~10 ms over `node -e 0` on the host, where
 * the split ES chunks cost ~25 ms (0.6 s in the emulated test VM, beside ipvsadm's whole 1.2 s).
 * The same command through cli/main.ts (`lvsd help ipvs`, the tests) runs the same code.
 */
import { run } from './commands/ipvs.js';
import { processIo } from './io.js';

export function runIpvsCommand(argv: readonly string[]): Promise<number> {
  return run([...argv], processIo);
}
