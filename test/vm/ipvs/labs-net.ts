// SPDX-License-Identifier: Apache-2.0
/**
 * VM lab helpers (root, inside scripts/ipvs-vm.sh): namespaces wired as the seed guide's NAT and DR
 * labs, real servers that identify themselves over HTTP (busybox httpd + a CGI that prints the
 * server's name and the client address it sees), an HTTP client loop, and `bin/lvsd` run inside a
 * namespace. Every namespace, server and temp dir is removed by `close()`, even after a failure.
 * Traffic stays inside the namespaces created here.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureIo } from '../../../src/cli/io.js';
import { runIpvs } from '../../../src/cli/commands/ipvs.js';
import type { IpvsCliDeps } from '../../../src/cli/commands/ipvs.js';
import { loadNameResolver } from '../../../src/ipvs/names.io.js';
import { openDriverIn } from '../helpers/driver-host.js';
import type { RemoteKernel } from '../helpers/driver-host.js';
import { createNetns, spawnHttpd, veth, waitHttp } from '../helpers/netns.js';
import type { Netns, RunResult } from '../helpers/netns.js';

const lvsdBin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));

export interface Lab {
  ns(name: string): Netns;
  /** `sh -c script` in a namespace; throws with stderr on a non-zero exit. */
  sh(name: string, script: string, input?: string): Promise<string>;
  /** `lvsd ARGS` (the real command, bin/lvsd, a new process) inside a namespace. */
  lvsd(name: string, args: string[], input?: string): Promise<RunResult>;
  /**
   * `lvsd ipvs ARGS` run in this process against the real driver in a worker inside the namespace
   * (a bin/lvsd start costs several seconds in the VM; the worker is started once per namespace).
   */
  ipvs(name: string, args: string[], input?: string): Promise<RunResult>;
  /** Start a self-identifying HTTP server on port 80 in namespace `name`. */
  httpServer(name: string, ident: string): Promise<void>;
  /** `n` HTTP GETs from `from` to `url`, one connection each; the response bodies (trimmed). */
  get(from: string, url: string, n: number, timeoutS?: number): Promise<string[]>;
  /** Stop servers and driver workers, delete namespaces and temp dirs. */
  close(): Promise<void>;
}

export function createLab(names: string[]): Lab {
  const spaces = new Map<string, Netns>();
  const servers: ChildProcess[] = [];
  const dirs: string[] = [];
  const kernels = new Map<string, Promise<RemoteKernel>>();
  const close = async (): Promise<void> => {
    for (const s of servers) s.kill('SIGKILL');
    await Promise.all([...kernels.values()].map((k) => k.then((x) => x.shutdown()).catch(() => undefined)));
    for (const n of spaces.values()) n.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (const n of names) spaces.set(n, createNetns(n.slice(0, 3)));
  } catch (e) {
    void close();
    throw e;
  }
  const ns = (name: string): Netns => {
    const n = spaces.get(name);
    if (!n) throw new Error(`no namespace ${name} in this lab`);
    return n;
  };
  const sh = async (name: string, script: string, input?: string): Promise<string> => {
    const r = await ns(name).run('sh', ['-ec', script], input);
    if (r.code !== 0) throw new Error(`[${name}] ${script}\n=> exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    ns,
    sh,
    lvsd: (name, args, input) => ns(name).run(process.execPath, [lvsdBin, ...args], input),
    async ipvs(name, args, input) {
      let k = kernels.get(name);
      if (!k) {
        k = openDriverIn(ns(name));
        kernels.set(name, k);
      }
      const kernel = await k;
      const io = captureIo(input ?? '');
      const deps: IpvsCliDeps = {
        openKernel: () => Promise.resolve({ ...kernel, close: () => undefined }),
        readConnections: async () => (await ns(name).run('cat', ['/proc/net/ip_vs_conn'])).stdout,
        readFile: () => Promise.reject(new Error('not used')),
        resolver: () => loadNameResolver(),
      };
      const code = await runIpvs(args, io, deps);
      return { code, stdout: io.out, stderr: io.err };
    },
    async httpServer(name, ident) {
      const root = mkdtempSync(join(tmpdir(), `lvlab${process.pid}-`));
      dirs.push(root);
      mkdirSync(join(root, 'cgi-bin'));
      writeFileSync(join(root, 'index.html'), `${ident}\n`);
      const cgi = join(root, 'cgi-bin', 'who');
      writeFileSync(
        cgi,
        `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\na=\${REMOTE_ADDR#\\[::ffff:}\na=\${a#\\[}\necho "${ident} \${a%\\]}"\n`,
      );
      chmodSync(cgi, 0o755);
      servers.push(spawnHttpd(ns(name), root));
      await waitHttp(ns(name), 50, name);
    },
    async get(from, url, n, timeoutS = 5) {
      const out = await sh(
        from,
        `for i in $(seq ${n}); do curl -s --max-time ${timeoutS} '${url}' || echo "curl-failed-$?"; done`,
      );
      return out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
    },
    close,
  };
}

export { veth };

/** Count responses by their first word (the server's name). */
export function tally(responses: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of responses) {
    const k = r.split(' ')[0] ?? r;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
