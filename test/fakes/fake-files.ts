// SPDX-License-Identifier: Apache-2.0
/**
 * A file system as a table, for the script-security rule (src/script/security.ts `ScriptFiles`),
 * and a whole fake `ScriptHost`/`HostProbe` around it: users from a passwd text, lvsd's ids, PATH.
 */
import type { HostProbe, ScriptHost } from '../../src/config/environment.js';
import type { AddrEntry } from '../../src/netlink/rtnl.js';
import type { FileInfo, Ids, ScriptFiles } from '../../src/script/security.js';
import { resolveIds } from '../../src/script/users.js';

export type FakeNode = FileInfo & { readonly target?: string };

export const dir = (mode: number, uid = 0, gid = 0): FakeNode => ({ kind: 'dir', mode, uid, gid });
export const file = (mode: number, uid = 0, gid = 0): FakeNode => ({ kind: 'file', mode, uid, gid });
export const link = (target: string, uid = 0): FakeNode => ({
  kind: 'symlink',
  mode: 0o777,
  uid,
  gid: uid,
  target,
});

/** A Debian-like tree: merged /usr (/bin → usr/bin), /tmp 1777, root everywhere. */
export const baseTree: Readonly<Record<string, FakeNode>> = {
  '/': dir(0o755),
  '/usr': dir(0o755),
  '/usr/bin': dir(0o755),
  '/usr/bin/true': file(0o755),
  '/usr/local': dir(0o755),
  '/usr/local/bin': dir(0o755),
  '/bin': link('usr/bin'),
  '/tmp': dir(0o1777),
  '/etc': dir(0o755),
  '/etc/lvsd': dir(0o755),
};

/** The table as the port; `asked` lists every path looked at. */
export function fakeFiles(nodes: Readonly<Record<string, FakeNode>>): ScriptFiles & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lstat(path) {
      asked.push(path);
      const n = nodes[path];
      if (!n) return { ok: false, code: 'ENOENT' };
      return { ok: true, info: { kind: n.kind, uid: n.uid, gid: n.gid, mode: n.mode } };
    },
    readlink(path) {
      const target = nodes[path]?.target;
      return target === undefined ? { ok: false, code: 'EINVAL' } : { ok: true, target };
    },
  };
}

export const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'ops:x:1000:0:ops, primary group root:/home/ops:/bin/sh',
  '',
].join('\n');
export const groups = ['root:x:0:', 'staff:x:50:', 'nogroup:x:65534:', ''].join('\n');
/** The same, with keepalived's default script user. */
export const passwdWithDefault = `${passwd}keepalived_script:x:998:998::/nonexistent:/usr/sbin/nologin\n`;

export function fakeScriptHost(
  nodes: Readonly<Record<string, FakeNode>>,
  o: { passwd?: string; self?: Ids; path?: string } = {},
): ScriptHost {
  return {
    files: fakeFiles(nodes),
    lookup: (user, group) => resolveIds(o.passwd ?? passwd, groups, user, group),
    self: o.self ?? { uid: 0, gid: 0 },
    path: o.path ?? '/usr/local/bin:/usr/bin:/bin',
    cwd: '/',
  };
}

/** A whole HostProbe: interfaces by name with their addresses; programs exist when in the table. */
export function fakeHostProbe(
  nodes: Readonly<Record<string, FakeNode>>,
  o: {
    interfaces?: Readonly<Record<string, readonly AddrEntry[]>>;
    passwd?: string;
    self?: Ids;
    /** Whether nft is installed; not checked when left out. */
    nft?: boolean;
  } = {},
): HostProbe {
  const interfaces = o.interfaces ?? {};
  const scripts = fakeScriptHost(nodes, o);
  return {
    interfaceExists: (name) => name in interfaces,
    interfaceAddresses: (name) => interfaces[name] ?? [],
    scriptProblem: (program) =>
      !program.includes('/') || nodes[program] !== undefined ? undefined : 'no such file',
    scripts,
    ...(o.nft !== undefined ? { nftInstalled: () => o.nft === true } : {}),
  };
}
