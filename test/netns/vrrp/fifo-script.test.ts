// SPDX-License-Identifier: Apache-2.0
/**
 * `vrrp_notify_fifo_script` with lvsd and with keepalived (Debian 2.2.7) on the same config, side by
 * side in one lab (lvsd on n1, keepalived on n2, each instance alone on its VRID): each daemon
 * starts the script with the FIFO's path as its one argument, the script reads the same lines
 * (BACKUP at start, MASTER, STOP at shutdown) until the daemon closes the FIFO, and it is gone
 * once the daemon has stopped.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it); about 10 s.
 */
import test from 'ava';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, startKeepalived, startLvsd, waitFor, type Lab, type LabNode } from '../harness.js';
import { alive } from '../../helpers/processes.js';
import { vrrpConf } from './conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

/**
 * The reader: records its arguments and pid, then copies the FIFO's lines to FIFO.out until end of
 * file (SIGTERM ignored, so the lines written just before the daemon stops are read too).
 */
const READER = `#!/bin/sh
trap '' TERM
echo "args $#: $*" >> "$1.out"
echo $$ > "$1.pid"
while IFS= read -r line; do echo "$line" >> "$1.out"; done < "$1"
echo "end of file" >> "$1.out"
`;

test('vrrp_notify_fifo_script: lvsd starts it as keepalived does, and it reads the same lines', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const script = join(l.dir, 'reader.sh');
  writeFileSync(script, READER);
  chmodSync(script, 0o755);
  const conf = (node: LabNode, vrid: number): { text: string; fifo: string } => {
    const fifo = join(l.dir, `${node.name}.fifo`);
    const inst = {
      vrid,
      priority: 100,
      version: 3 as const,
      advertInt: 0.2,
      vips: [`10.${l.net}.0.${vrid}/32`],
    };
    return {
      fifo,
      text: vrrpConf(node, [inst], [`vrrp_notify_fifo ${fifo}`, `vrrp_notify_fifo_script ${script}`]),
    };
  };
  const lv = conf(n1, 51);
  const ka = conf(n2, 52);
  const lvsd = startLvsd(l, n1, lv.text);
  const keepalived = startKeepalived(l, n2, ka.text);
  const out = (fifo: string): string[] =>
    existsSync(`${fifo}.out`) ? readFileSync(`${fifo}.out`, 'utf8').split('\n').filter(Boolean) : [];
  try {
    for (const f of [lv.fifo, ka.fifo])
      await waitFor(`MASTER line read from ${f}`, () => out(f).some((x) => x.includes('MASTER')), 10_000);
    lvsd.kill('SIGTERM');
    keepalived.kill('SIGTERM');
    await Promise.all([lvsd.exited(), keepalived.exited()]);
    // keepalived ends its reader with a signal at stop (it may not read to the end of the file)
    for (const f of [lv.fifo, ka.fifo]) {
      const pid = Number(readFileSync(`${f}.pid`, 'utf8'));
      await waitFor(`the reader of ${f} gone`, () => !alive(pid), 10_000);
    }
  } catch (e) {
    t.log(`--- lvsd:\n${lvsd.output().slice(-2000)}\n--- keepalived:\n${keepalived.output().slice(-2000)}`);
    throw e;
  }
  const eof = (f: string): boolean => out(f).includes('end of file');
  t.log(`end of file read: lvsd's reader ${eof(lv.fifo)}, keepalived's ${eof(ka.fifo)}`);
  const lvLines = out(lv.fifo).filter((x) => x !== 'end of file');
  const kaLines = out(ka.fifo).filter((x) => x !== 'end of file');
  t.log(`keepalived's reader: ${JSON.stringify(kaLines)}`);
  t.is(kaLines[0], `args 1: ${ka.fifo}`, "keepalived's reader gets the FIFO path");
  t.is(lvLines[0], `args 1: ${lv.fifo}`, 'the FIFO path as the one argument, as keepalived');
  t.deepEqual(lvLines.slice(1), kaLines.slice(1), 'the same lines as keepalived');
  t.true(kaLines.includes('INSTANCE "VI_1" MASTER 100'), 'the lines are the instance states');
});
