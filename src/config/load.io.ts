// SPDX-License-Identifier: Apache-2.0
/**
 * The I/O edge of the config language: reads the main file and its includes (globs expanded here),
 * takes the config id from the short hostname by default, and runs the pure pipeline
 * lexer -> parser -> schema. `loadConfig` is what the daemon and `lvsd check-config` call.
 */
import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Diagnostics, formatDiagnostic, sortDiagnostics, unreadableFile } from './diagnostics.js';
import type { EnvironmentProbe } from './environment.js';
import { type SourceHost, lexSource } from './lexer.js';
import type { Diagnostic, Model } from './model.js';
import { parseTokens } from './parser.js';
import { buildModel } from './schema.js';
import { lookupIds } from '../script/users.io.js';

export { formatDiagnostic };

export interface LoadOptions {
  /** Matched by `@ID` / `@^ID` lines [short hostname]. */
  configId?: string | undefined;
  /** Unsupported keepalived keywords become warnings instead of errors. */
  lenient?: boolean | undefined;
  /** For `${_ENV NAME}` [process.env]. */
  env?: Record<string, string | undefined> | undefined;
}

export interface LoadResult {
  /** Undefined when any diagnostic is an error. */
  model: Model | undefined;
  diagnostics: Diagnostic[];
}

/** The short hostname, as keepalived uses for the default config id. */
function defaultConfigId(): string {
  return hostname().split('.')[0] ?? 'localhost';
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.code ?? String(e);
}

/** The real file system as a SourceHost. */
export const fsHost: SourceHost = {
  readFile(path) {
    try {
      const text = readFileSync(path, 'utf8');
      return { ok: true, text, realPath: realpathSync(path) };
    } catch (e) {
      return { ok: false, reason: errnoText(e) };
    }
  },
  glob(pattern) {
    return globSync(pattern);
  },
};

/** Expand `*`, `?` and `[...]` per path segment (no `**`), sorted; directories are not returned. */
export function globSync(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases: string[] = [pattern.startsWith('/') ? '/' : '.'];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      const join = (name: string): string => (base === '/' ? `/${name}` : `${base}/${name}`);
      if (!/[*?[]/.test(part)) {
        next.push(join(part));
        continue;
      }
      let entries: Array<{ name: string; isDir: boolean; isFile: boolean }>;
      try {
        entries = readdirSync(base, { withFileTypes: true }).map((d) => ({
          name: d.name,
          isDir: d.isDirectory() || d.isSymbolicLink(),
          isFile: d.isFile() || d.isSymbolicLink(),
        }));
      } catch {
        continue;
      }
      const re = globToRegExp(part);
      for (const e of entries) {
        if (e.name.startsWith('.') && !part.startsWith('.')) continue;
        if (!re.test(e.name)) continue;
        if (last ? e.isFile : e.isDir) next.push(join(e.name));
      }
    }
    bases = next;
  }
  return bases.sort();
}

function globToRegExp(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let cls = part.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Parse and validate config text that came from `fileName` (includes resolve against it). */
export function parseConfigText(
  text: string,
  fileName: string,
  opts: LoadOptions = {},
  host: SourceHost = fsHost,
): LoadResult {
  const diags = new Diagnostics();
  const configId = opts.configId ?? defaultConfigId();
  const ctx = { diags, lenient: opts.lenient ?? false };
  let realPath = fileName;
  try {
    realPath = realpathSync(fileName);
  } catch {
    // Text given directly (tests): the name is only a label.
  }
  const lexed = lexSource(fileName, text, realPath, host, { configId, env: opts.env ?? process.env }, diags);
  const ast = parseTokens(lexed.tokens, diags);
  const model = buildModel(ctx, ast, { configId, lenient: ctx.lenient }, lexed.files);
  const diagnostics = sortDiagnostics(diags.list);
  return { model: diags.errorCount > 0 ? undefined : model, diagnostics };
}

/** Read, parse and validate a configuration file. Never throws for bad input: see `diagnostics`. */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { model: undefined, diagnostics: [unreadableFile(path, 'configuration', errnoText(e))] };
  }
  return parseConfigText(text, path, opts);
}

/** The real machine as an EnvironmentProbe (for `checkEnvironment` at `lvsd run` start). */
export function machineProbe(env: Record<string, string | undefined> = process.env): EnvironmentProbe {
  return {
    interfaceExists: (name) =>
      !name.includes('/') && name !== '.' && name !== '..' && existsSync(`/sys/class/net/${name}`),
    scriptProblem(program) {
      const candidates = program.includes('/')
        ? [program]
        : (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').map((d) => `${d}/${program}`);
      let last = 'no such file';
      for (const c of candidates) {
        try {
          if (!statSync(c).isFile()) {
            last = 'not a regular file';
            continue;
          }
          accessSync(c, constants.X_OK);
          return undefined;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EACCES') last = 'not executable';
          else if (code !== 'ENOENT') last = code ?? String(e);
        }
      }
      return program.includes('/') ? last : `${last} (searched PATH)`;
    },
    userProblem(user, group) {
      const r = lookupIds(user, group);
      return r.ok ? undefined : r.reason;
    },
  };
}
