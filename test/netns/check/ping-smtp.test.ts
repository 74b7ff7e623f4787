// SPDX-License-Identifier: Apache-2.0
/**
 * PING_CHECK and SMTP_CHECK against real responders in namespaces (root; CI runs as root). Node A
 * answers ICMP and ICMPv6 echoes (the kernel) and runs a real SMTP server (Debian's aiosmtpd, which
 * logs the HELO it is given); node B ignores echoes (`icmp_echo_ignore_all`, both families) and
 * runs a server that greets with 554. The checkers are built from config text by the config layer
 * and run by the real probe factory inside the director namespace (checker-child.ts). Traffic
 * stays inside the lab's namespaces.
 */
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, waitFor, type Lab } from '../harness.js';

const child = fileURLToPath(new URL('./checker-child.js', import.meta.url));
const smtpPort = 2525;
let lab: Lab;
const servers: ChildProcess[] = [];
let smtpLog = '';

async function listening(ns: string, addr: string, port: number): Promise<void> {
  await waitFor(
    `${addr}:${port} listening`,
    async () =>
      (await lab.exec(ns, ['bash', '-c', `exec 3<>/dev/tcp/${addr}/${port}`], { allowFail: true })).code ===
      0,
    15_000,
    100,
  );
}

test.before(async () => {
  lab = await createLab(3);
  const [, a, b] = lab.nodes;
  if (!a || !b) throw new Error('lab has no nodes');
  await lab.exec(b.ns, ['sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1']);
  await lab.exec(b.ns, ['sysctl', '-qw', 'net.ipv6.icmp.echo_ignore_all=1']);
  smtpLog = join(lab.dir, 'aiosmtpd.log');
  servers.push(
    lab.spawn(
      a.ns,
      ['/usr/bin/python3', '-m', 'aiosmtpd', '-n', '-d', '-l', `${a.ipv4}:${smtpPort}`],
      {},
      smtpLog,
    ),
  );
  servers.push(
    lab.spawn(
      b.ns,
      [
        process.execPath,
        '-e',
        `require('node:net').createServer((s) => s.on('error', () => {}).end('554 no service here\\r\\n')).listen(${smtpPort}, '${b.ipv4}')`,
      ],
      {},
      join(lab.dir, 'b-server.log'),
    ),
  );
  await listening(a.ns, a.ipv4, smtpPort);
  await listening(b.ns, b.ipv4, smtpPort);
});

test.after.always(async () => {
  for (const s of servers) s.kill('SIGKILL');
  await lab?.destroy();
});

interface Row {
  real: string;
  type: string;
  result: { ok: boolean; reason?: string };
}

async function runChecks(conf: string): Promise<Row[]> {
  const file = join(lab.dir, `checks-${Date.now()}.conf`);
  writeFileSync(file, conf);
  const d = lab.nodes[0];
  if (!d) throw new Error('no director');
  const r = await lab.exec(d.ns, [process.execPath, child, file]);
  return JSON.parse(r.stdout) as Row[];
}

test('PING_CHECK: up when the real answers the echo, down (timeout) when it ignores it; IPv4 and IPv6', async (t) => {
  const [, a, b] = lab.nodes;
  if (!a || !b) return t.fail();
  const ping = (addr: string, port: number, extra = ''): string =>
    `  real_server ${addr} ${port} {\n    PING_CHECK {\n      connect_timeout 1\n${extra}    }\n  }\n`;
  const rows = await runChecks(
    `virtual_server 10.${lab.net}.0.100 1 {\n${ping(a.ipv4, 1)}${ping(b.ipv4, 1)}${ping(a.ipv4, 2, '      bind_if lvsdnosuchif0\n')}}\n` +
      `virtual_server fd00:${lab.net}::100 1 {\n${ping(a.ipv6, 1)}${ping(b.ipv6, 1)}}\n`,
  );
  const by = new Map(rows.map((r) => [r.real, r.result]));
  t.deepEqual(by.get(`${a.ipv4}:1`), { ok: true });
  t.deepEqual(by.get(`${b.ipv4}:1`), { ok: false, reason: 'timeout' });
  t.deepEqual(by.get(`${a.ipv4}:2`), { ok: false, reason: 'ICMP socket: ENODEV' });
  t.deepEqual(by.get(`${a.ipv6}:1`), { ok: true });
  t.deepEqual(by.get(`${b.ipv6}:1`), { ok: false, reason: 'timeout' });
  t.is(rows.length, 5);
});

test('SMTP_CHECK: a real SMTP server is up (and is greeted with helo_name); a 554 greeting and a refused port are down', async (t) => {
  const [, a, b] = lab.nodes;
  if (!a || !b) return t.fail();
  const rows = await runChecks(`
virtual_server 10.${lab.net}.0.100 25 {
  real_server ${a.ipv4} ${smtpPort} {
    SMTP_CHECK {
      connect_timeout 2
      helo_name lvsd-check.example
    }
  }
  real_server ${b.ipv4} ${smtpPort} {
    SMTP_CHECK {
      connect_timeout 2
    }
  }
  real_server ${a.ipv4} 2526 {
    SMTP_CHECK {
      connect_timeout 2
    }
  }
  real_server ${b.ipv4} 2527 {
    SMTP_CHECK {
      host {
        connect_ip ${a.ipv4}
        connect_port ${smtpPort}
      }
    }
  }
}
`);
  const by = new Map(rows.map((r) => [r.real, r.result]));
  t.deepEqual(by.get(`${a.ipv4}:${smtpPort}`), { ok: true });
  t.regex(by.get(`${b.ipv4}:${smtpPort}`)?.reason ?? '', /^bad greeting banner: 554/);
  t.deepEqual(by.get(`${a.ipv4}:2526`), { ok: false, reason: 'ECONNREFUSED' });
  t.deepEqual(by.get(`${b.ipv4}:2527`), { ok: true }, "the deprecated host block's target is checked");
  const log = readFileSync(smtpLog, 'utf8');
  t.regex(log, />> b'HELO lvsd-check\.example'/);
  t.regex(log, />> b'HELO smtpchecker\.keepalived\.org'/, "keepalived's default helo_name");
  t.regex(log, />> b'QUIT'/);
});
