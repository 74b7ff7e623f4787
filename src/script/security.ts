// SPDX-License-Identifier: Apache-2.0
/**
 * `enable_script_security` and the default script user, by keepalived's rules (2.2.7, lib/notify.c:
 * check_script_secure, check_security, get_default_script_user). Pure: the file system is the
 * `ScriptFiles` port (files.io.ts is the real one), users come through a lookup function.
 *
 * Who a script runs as: its own `USER [GROUP]`, else `script_user`, else `keepalived_script` when
 * that user exists, else lvsd's own user. With `enable_script_security` and none of the first
 * three, the script is refused ("Unable to set default user keepalived_script ..."): never a silent
 * fall-back to root.
 *
 * A script needs protection when it would run as root: uid 0 or gid 0, or the file is setuid root
 * (owner 0, u+xs) or setgid root (group 0, g+xs). Such a script is unsafe when any node the kernel
 * passes through to reach it is owned by a non-root user, or (a directory without the sticky bit, or
 * the file itself) writable by others or by a non-root group; a symbolic link is judged by its owner
 * (its mode means nothing). Sticky directories owned by root (/tmp) pass. Unsafe with the option:
 * refused ("Unsafe permissions found for script '...' - disabling"); without it: run, with the same
 * message as a warning (and keepalived's "SECURITY VIOLATION" summary, environment-scripts.ts).
 *
 * Where lvsd is stricter than keepalived: keepalived checks the directories of the script's
 * realpath() and then runs that path; lvsd runs the path as written, so it checks every node of
 * the path as the kernel resolves it: each directory, each symbolic link and the directories of
 * its target, and the file. A bare name is looked up in PATH first (as keepalived's find_path:
 * the first regular file executable by the script's user).
 */

/** File type bits lvsd looks at. */
export type FileKind = 'file' | 'dir' | 'symlink' | 'other';

/** What lstat(2) says of one path (mode: the permission, setuid/setgid and sticky bits). */
export interface FileInfo {
  readonly kind: FileKind;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export type Lstat = { ok: true; info: FileInfo } | { ok: false; code: string };
export type Readlink = { ok: true; target: string } | { ok: false; code: string };

/** The file system as the rule sees it; neither call follows a symbolic link. */
export interface ScriptFiles {
  lstat(path: string): Lstat;
  readlink(path: string): Readlink;
}

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

/** The user a script without one runs as when it exists (keepalived's default). */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IXUSR = 0o100;
const S_IWGRP = 0o020;
const S_IXGRP = 0o010;
const S_IWOTH = 0o002;
const S_IXOTH = 0o001;
/** The kernel's limit on symbolic links followed in one lookup (ELOOP past it). */
const MAX_LINKS = 40;

// ---- who runs it ----

export type RunAs =
  | { ok: true; uid: number; gid: number }
  | { ok: false; reason: string; /** refused by script security (no default user) */ refused: boolean };

export interface RunAsOptions {
  /** `script_user USER [GROUP]`, when set. */
  readonly scriptUser?: { readonly user: string; readonly group?: string } | undefined;
  /** `enable_script_security`. */
  readonly secure: boolean;
  readonly lookup: (
    user: string,
    group?: string,
  ) => { ok: true; uid: number; gid: number } | { ok: false; reason: string };
  /** lvsd's own ids. */
  readonly self: Ids;
}

/** The message of a script refused for want of a user to run it as. */
export function noDefaultUserMessage(program: string, reason: string): string {
  return (
    `Unable to set default user ${DEFAULT_SCRIPT_USER} for script ${program} - ignoring ` +
    `(${reason}; enable_script_security is set: give the script a user or set script_user)`
  );
}

/** The uid and gid a script runs as (see the module comment), or why it has none. */
export function runAs(
  program: string,
  cmd: { readonly user?: string | undefined; readonly group?: string | undefined },
  o: RunAsOptions,
): RunAs {
  const named = cmd.user !== undefined ? cmd : o.scriptUser;
  if (named?.user !== undefined) {
    const r = o.lookup(named.user, named.group);
    return r.ok ? r : { ok: false, reason: r.reason, refused: false };
  }
  const fallback = o.lookup(DEFAULT_SCRIPT_USER);
  if (fallback.ok) return fallback;
  if (o.secure) return { ok: false, reason: noDefaultUserMessage(program, fallback.reason), refused: true };
  return { ok: true, uid: o.self.uid, gid: o.self.gid };
}

// ---- resolving a path as the kernel does ----

interface Visit {
  readonly path: string;
  readonly info: FileInfo;
}

type Walk = { ok: true; visits: Visit[]; file: FileInfo } | { ok: false; code: string };

function words(path: string): string[] {
  return path.split('/').filter((w) => w !== '' && w !== '.');
}

function joined(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

/**
 * Every node the kernel passes through to reach `path` (relative to `cwd`), following symbolic
 * links as it does, with what lstat says of each; `file` is the node reached.
 */
export function walkPath(path: string, cwd: string, fs: ScriptFiles): Walk {
  const root = fs.lstat('/');
  if (!root.ok) return root;
  const seen = new Map<string, FileInfo>([['/', root.info]]);
  const visits: Visit[] = [{ path: '/', info: root.info }];
  let pending = words(path.startsWith('/') ? path : `${cwd}/${path}`);
  let at: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [name = '', ...rest] = pending;
    pending = rest;
    if (name === '..') {
      at = at.slice(0, -1);
      continue;
    }
    const p = joined([...at, name]);
    const st = fs.lstat(p);
    if (!st.ok) return st;
    visits.push({ path: p, info: st.info });
    if (st.info.kind === 'symlink') {
      if (++links > MAX_LINKS) return { ok: false, code: 'ELOOP' };
      const link = fs.readlink(p);
      if (!link.ok) return link;
      if (link.target.startsWith('/')) at = [];
      pending = [...words(link.target), ...pending];
      continue;
    }
    if (pending.length > 0 && st.info.kind !== 'dir') return { ok: false, code: 'ENOTDIR' };
    seen.set(p, st.info);
    at.push(name);
  }
  const file = seen.get(joined(at));
  return file ? { ok: true, visits, file } : { ok: false, code: 'ENOENT' };
}

// ---- the rules ----

/** keepalived's is_executable(): root needs any x bit; others the bit of their class. */
export function executableBy(f: FileInfo, ids: Ids): boolean {
  if (ids.uid === 0) return (f.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) !== 0;
  if (ids.uid === f.uid) return (f.mode & S_IXUSR) !== 0;
  if (ids.gid === f.gid) return (f.mode & S_IXGRP) !== 0;
  return (f.mode & S_IXOTH) !== 0;
}

/** Would this run have root's powers: run as uid or gid 0, or a setuid/setgid-root file. */
export function needsProtection(f: FileInfo, ids: Ids): boolean {
  return (
    ids.uid === 0 ||
    ids.gid === 0 ||
    (f.uid === 0 && (f.mode & S_IXUSR) !== 0 && (f.mode & S_ISUID) !== 0) ||
    (f.gid === 0 && (f.mode & S_IXGRP) !== 0 && (f.mode & S_ISGID) !== 0)
  );
}

/** Why a non-root user could change what this node is, or undefined (keepalived's check_security). */
export function unsafeBecause(f: FileInfo): string | undefined {
  if (f.uid !== 0) return `is owned by uid ${f.uid}`;
  const guarded = f.kind === 'file' || (f.kind === 'dir' && (f.mode & S_ISVTX) === 0);
  if (!guarded) return undefined; // a root-owned symbolic link, or a root-owned sticky directory
  if ((f.mode & S_IWOTH) !== 0) return 'is writable by others';
  if (f.gid !== 0 && (f.mode & S_IWGRP) !== 0) return `is writable by group ${f.gid}`;
  return undefined;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

export interface ScriptCheck {
  /** argv[0] as written: a path, or a bare name looked up in `path`. */
  readonly program: string;
  /** Who it runs as (runAs()). */
  readonly ids: Ids;
  /** `enable_script_security`. */
  readonly secure: boolean;
  /** The PATH bare names are looked up in (the scripts' PATH). */
  readonly path: string;
  /** What a relative path is relative to (lvsd's working directory). */
  readonly cwd: string;
}

export type ScriptVerdict =
  | {
      readonly ok: true;
      /** The file to exec: the program, or where PATH found it. */
      readonly file: string;
      /** Unsafe, run anyway (the option is off): keepalived's message, for a warning. */
      readonly unsafe?: string;
    }
  | {
      readonly ok: false;
      readonly why: 'insecure' | 'not-found' | 'not-executable' | 'wrong-type';
      readonly message: string;
    };

type Found = { ok: true; file: string; walk: Extract<Walk, { ok: true }> } | { ok: false; message: string };

/** keepalived's find_path(): the first regular file in PATH executable by the script's user. */
function searchPath(c: ScriptCheck, fs: ScriptFiles): Found {
  let denied = false;
  for (const dir of c.path.split(':')) {
    const file = dir === '' ? c.program : `${dir.replace(/\/+$/, '')}/${c.program}`;
    const walk = walkPath(file, c.cwd, fs);
    if (!walk.ok) {
      denied ||= walk.code === 'EACCES';
      continue;
    }
    if (walk.file.kind !== 'file' || !executableBy(walk.file, c.ids)) {
      denied = true;
      continue;
    }
    return { ok: true, file, walk };
  }
  return {
    ok: false,
    message: denied
      ? `Permissions failure for script ${c.program} in path - disabling`
      : `Cannot find script ${c.program} in path - disabling`,
  };
}

function locate(c: ScriptCheck, fs: ScriptFiles): Found {
  if (!c.program.includes('/')) return searchPath(c, fs);
  const walk = walkPath(c.program, c.cwd, fs);
  if (walk.ok) return { ok: true, file: c.program, walk };
  const text = ERRNO_TEXT[walk.code] ?? walk.code;
  return { ok: false, message: `Script ${c.program} cannot be accessed - ${text}` };
}

/** May this script run, by keepalived's rules (see the module comment)? */
export function checkScript(c: ScriptCheck, fs: ScriptFiles): ScriptVerdict {
  const found = locate(c, fs);
  if (!found.ok) return { ok: false, why: 'not-found', message: found.message };
  const { file, walk } = found;
  if (walk.file.kind !== 'file')
    return { ok: false, why: 'wrong-type', message: `Wrong file type found in script path '${file}'.` };
  if (!executableBy(walk.file, c.ids)) {
    const who = `${c.ids.uid}:${c.ids.gid}`;
    const message = `WARNING - script '${file}' is not executable for uid:gid ${who} - disabling.`;
    return { ok: false, why: 'not-executable', message };
  }
  if (!needsProtection(walk.file, c.ids)) return { ok: true, file };
  for (const v of walk.visits) {
    const why = unsafeBecause(v.info);
    if (why === undefined) continue;
    const message = `Unsafe permissions found for script '${file}'${c.secure ? ' - disabling' : ''}. (${v.path} ${why})`;
    return c.secure ? { ok: false, why: 'insecure', message } : { ok: true, file, unsafe: message };
  }
  return { ok: true, file };
}
