// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's notifications compared with lvsd's on the same events, in network namespaces: the
 * node under test (keepalived in one lab, lvsd in another, same file) runs next to a keepalived peer
 * and goes through the same script of events; its notify FIFO, its `notify_master_rx_lower_pri`
 * script and the e-mails a real SMTP server in its namespace receives are recorded and must be equal:
 * - MASTER_RX_LOWER_PRI: the peer (priority 100, `higher_prio_send_advert`) answers our takeover
 *   with one advert of its lower priority;
 * - MASTER_PRIORITY / BACKUP_PRIORITY (`notify_priority_changes`): a track file moves our priority;
 * - DELETED (`notify_deleted`): a reload removes the instance;
 * - GROUP lines of a sync group, and `smtp_alert` mails of instances and the group.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it); CI runs as root.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLab,
  repoRoot,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';

const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

interface Mail {
  headers: Record<string, string>;
  body: string;
}

/** An SMTP server in `node`'s namespace on 127.0.0.1 that reports each message it receives. */
async function smtpSink(l: Lab, node: LabNode): Promise<{ port: number; mails: Mail[] }> {
  const c = l.spawn(node.ns, [process.execPath, join(repoRoot, 'dist', 'test', 'netns', 'smtp-sink.js')]);
  const mails: Mail[] = [];
  let port = 0;
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = /^listening (\d+)$/.exec(line);
      if (m) port = Number(m[1]);
      else if (line) mails.push(JSON.parse(line) as Mail);
    }
  });
  await waitFor('SMTP sink listening', () => port > 0, 10_000);
  return { port, mails };
}

/** Read a FIFO into a growing text (from the root namespace: a FIFO is a file, not a socket). */
function fifoReader(path: string): { text: () => string; proc: ChildProcess } {
  let text = '';
  // holding a write end too, so the reader never sees an end of file when a writer closes (a reload)
  const proc = spawn('sh', ['-c', 'exec 3<>"$1"; exec cat <&3', 'sh', path], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  proc.stdout.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text, proc };
}

const writeAtomically = (file: string, text: string): void => {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
};

interface Outcome {
  /** The node's log lines about states, reloads and SMTP (shown when the comparison fails). */
  log: string[];
  fifo: string[];
  script: string[];
  mails: string[];
}

/** Run the script of events with the node under test (`n1`) being lvsd or keepalived. */
async function scenario(lvsd: boolean): Promise<Outcome> {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const fifo = join(l.dir, 'fifo');
  await l.exec(n1.ns, ['mkfifo', fifo]);
  const reader = fifoReader(fifo);
  const tf = join(l.dir, 'prio');
  writeAtomically(tf, '0\n');
  const out = join(l.dir, 'script.out');
  const script = join(l.dir, 'lower.sh');
  writeFileSync(script, `#!/bin/sh\necho "lower $#" >> ${out}\n`);
  chmodSync(script, 0o755);
  const sink = await smtpSink(l, n1);
  const globals = [
    `vrrp_notify_fifo ${fifo}`,
    'notification_email {',
    '  ops@example.com',
    '}',
    'notification_email_from lvs@example.com',
    `smtp_server 127.0.0.1 ${sink.port}`,
    'smtp_connect_timeout 5',
  ];
  const vi1 = (name: string, vrid: number): InstanceConf => ({
    name,
    vrid,
    priority: 150,
    version: 3,
    advertInt: 0.5,
    vips: [`10.${l.net}.0.${vrid + 50}/32`],
    extra: [
      'track_file {',
      '  tf',
      '}',
      'notify_priority_changes',
      `notify_master_rx_lower_pri ${script}`,
      'notify_deleted',
      'smtp_alert',
    ],
  });
  const grp = (name: string, vrid: number): InstanceConf => ({
    name,
    vrid,
    priority: 100,
    version: 3,
    advertInt: 0.5,
    vips: [`10.${l.net}.0.${vrid + 50}/32`],
  });
  const head = [
    `vrrp_track_file tf {`,
    `  file ${tf}`,
    '  weight 1',
    '}',
    'vrrp_sync_group G {',
    '  group {',
    '    VI_G1',
    '    VI_G2',
    '  }',
    '  smtp_alert',
    '}',
    '',
  ].join('\n');
  const conf1 = (first: InstanceConf): string =>
    head + vrrpConf(n1, [first, grp('VI_G1', 60), grp('VI_G2', 61)], globals);
  // the peer: keepalived, priority 100, answering a higher priority with one more advert of its own
  const peer = startKeepalived(
    l,
    n2,
    vrrpConf(n2, [{ ...grp('VI_1', 50), vips: [`${vip}/32`], extra: ['higher_prio_send_advert'] }]),
  );
  const lines = (): string[] => reader.text().split('\n').filter(Boolean);
  const has = (re: RegExp, n = 1): boolean => lines().filter((x) => re.test(x)).length >= n;
  let d: Daemon | undefined;
  try {
    await waitFor('the peer holds the VIP', () => l.hasAddress(n2, vip), 10_000);
    const first = { ...vi1('VI_1', 50), vips: [`${vip}/32`] };
    const conf = conf1(first);
    d = lvsd ? startLvsd(l, n1, conf) : startKeepalived(l, n1, conf);
    await waitFor(
      'n1 master, the peer answered lower',
      () => has(/^INSTANCE "VI_1" MASTER_RX_LOWER_PRI /),
      10_000,
    );
    await waitFor('group master', () => has(/^GROUP "G" MASTER /), 5000);
    writeAtomically(tf, '-20\n');
    await waitFor('MASTER_PRIORITY 130', () => has(/^INSTANCE "VI_1" MASTER_PRIORITY 130$/), 5000);
    writeAtomically(tf, '-60\n');
    await waitFor('back to BACKUP at 90', () => has(/^INSTANCE "VI_1" BACKUP 90$/), 10_000);
    await waitFor('the peer took over', () => l.hasAddress(n2, vip), 5000);
    writeAtomically(tf, '0\n');
    await waitFor('master again', () => has(/^INSTANCE "VI_1" MASTER_RX_LOWER_PRI /, 2), 10_000);
    // keepalived drops the SMTP sessions in progress at a reload (lvsd does not): let them end first
    const vi1Master = (): number =>
      sink.mails.filter((m) => /VI_1 - Entering MASTER/.test(m.headers['subject'] ?? '')).length;
    await waitFor('the second MASTER mail', () => vi1Master() >= 2, 10_000);
    // reload: VI_1 is gone (VI_2 on another VRID instead)
    const file = join(d.runDir, lvsd ? 'lvsd.conf' : 'keepalived.conf');
    writeFileSync(file, conf1(vi1('VI_2', 52)));
    d.kill('SIGHUP');
    await waitFor(
      'VI_1 deleted, VI_2 master',
      () => has(/^INSTANCE "VI_1" DELETED /) && has(/^INSTANCE "VI_2" MASTER /),
      10_000,
    );
    await waitFor(
      'the mails so far',
      () => sink.mails.some((m) => /VI_2 - Entering MASTER/.test(m.headers['subject'] ?? '')),
      10_000,
    );
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n--- fifo:\n${reader.text()}\n--- n1:\n${d?.output().slice(-3000) ?? ''}\n--- peer:\n${peer.output().slice(-2000)}`,
    );
  } finally {
    reader.proc.kill('SIGKILL');
  }
  const result: Outcome = {
    log: (d?.output() ?? '')
      .split('\n')
      .filter((x) => /SMTP|smtp|mail|Entering|Reload|DELETED|removed by reload/.test(x)),
    fifo: lines(),
    script: existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : [],
    mails: sink.mails.map(
      (m) =>
        `${m.headers['subject'] ?? ''} | ${m.body.trim()} | ${m.headers['from'] ?? ''} -> ${m.headers['to'] ?? ''}`,
    ),
  };
  await l.destroy();
  return result;
}

/** The lines about one instance or group, in order (events of different instances interleave freely). */
const about = (xs: string[], name: string): string[] =>
  xs.filter((x) => x.includes(`"${name}"`) || x.includes(` ${name} `));

test('notify FIFO, notify_master_rx_lower_pri and smtp_alert mails: lvsd writes and sends what keepalived does', async (t) => {
  const [ka, lv] = await Promise.all([scenario(false), scenario(true)]);
  t.log(`keepalived FIFO:\n${ka.fifo.join('\n')}`);
  t.log(`lvsd FIFO:\n${lv.fifo.join('\n')}`);
  if (JSON.stringify([lv.fifo.length, lv.mails.length]) !== JSON.stringify([ka.fifo.length, ka.mails.length]))
    t.log(`keepalived log:\n${ka.log.join('\n')}\nlvsd log:\n${lv.log.join('\n')}`);
  for (const name of ['VI_1', 'VI_2', 'VI_G1', 'VI_G2', 'G']) {
    t.deepEqual(about(lv.fifo, name), about(ka.fifo, name), `FIFO lines of ${name}`);
    t.deepEqual(about(lv.mails, name), about(ka.mails, name), `mails about ${name}`);
  }
  t.deepEqual(lv.fifo.length, ka.fifo.length, 'no other lines');
  t.deepEqual(lv.mails.length, ka.mails.length, 'no other mails');
  t.deepEqual(lv.script, ka.script, 'notify_master_rx_lower_pri runs');
  // and what that is, so a change in both is seen too
  t.deepEqual(
    about(ka.fifo, 'VI_1').map((x) => x.replace(/^INSTANCE "VI_1" /, '')),
    [
      'BACKUP 150',
      'MASTER 150',
      'MASTER_RX_LOWER_PRI 150',
      'MASTER_PRIORITY 130',
      'MASTER_PRIORITY 90',
      'BACKUP 90',
      'BACKUP_PRIORITY 150',
      'MASTER 150',
      'MASTER_RX_LOWER_PRI 150',
      'DELETED 150',
    ],
  );
  t.deepEqual(ka.script, ['lower 0', 'lower 0']);
  t.true(
    about(ka.fifo, 'G').every((x) => / 0$/.test(x)),
    'group lines end in priority 0',
  );
});
