// SPDX-License-Identifier: Apache-2.0
/**
 * The I/O edge of the config language: reads the main file and its includes (bounded, regular files
 * only: source-files.io.ts), takes the config id from the short hostname and the limits from the
 * environment by default, and runs the pure pipeline lexer -> parser -> schema. `loadConfig` is
 * what the daemon and `lvsd check-config` call.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { Diagnostics, formatDiagnostic, omittedSummary, unreadableFile } from './diagnostics.js';
import type { EnvironmentProbe } from './environment.js';
import { type SourceHost, lexSource } from './lexer.js';
import { type LoadLimits, defaultLimits, formatBytes, limitVariables, resolveLimits } from './limits.js';
import { IncrementalLoader, type LoadWay, type ParseCapture } from './incremental.js';
import type { Diagnostic, Model } from './model.js';
import { parseTokens } from './parser.js';
import { buildModel } from './schema.js';
import { lookupIds } from '../script/users.io.js';
import { fileIdentity, globSync, readConfigFile } from './source-files.io.js';
import { LoadInputs, recordingHost } from './load-inputs.io.js';

export { formatDiagnostic };

export interface LoadOptions {
  /** Matched by `@ID` / `@^ID` lines [short hostname]. */
  configId?: string | undefined;
  /** Unsupported keepalived keywords become warnings instead of errors. */
  lenient?: boolean | undefined;
  /** For `${_ENV NAME}` and the `LVSD_CONFIG_MAX_*` limits [process.env]. */
  env?: Record<string, string | undefined> | undefined;
  /** Limits before the environment's overrides [limits.ts defaultLimits]. */
  limits?: Partial<LoadLimits> | undefined;
  /**
   * `limits` as they are, the environment's `LVSD_CONFIG_MAX_*` not read (a caller that applied
   * them itself: daemon/validate-here.ts); `${_ENV NAME}` still reads `env` [false].
   */
  limitsFinal?: boolean | undefined;
}

export interface LoadResult {
  /** Undefined when any diagnostic is an error. */
  model: Model | undefined;
  /**
   * The first `maxDiagnostics` findings in file order, then, when there were more, one line about
   * the file as a whole (line 0) saying how many more there were.
   */
  diagnostics: Diagnostic[];
  /** Every error and warning found, shown or not. */
  errorCount: number;
  warningCount: number;
}

/** The short hostname, as keepalived uses for the default config id. */
function defaultConfigId(): string {
  return hostname().split('.')[0] ?? 'localhost';
}

/** The real file system as a SourceHost. */
export const fsHost: SourceHost = { readFile: readConfigFile, glob: globSync };

function limitsOf(
  env: Record<string, string | undefined>,
  opts: LoadOptions,
): ReturnType<typeof resolveLimits> {
  return opts.limitsFinal
    ? { limits: { ...defaultLimits, ...opts.limits }, problems: [] }
    : resolveLimits(env, opts.limits);
}

/** The main file as read: its text, or only its size when that is over the limit. */
type MainSource = { text: string; bytes: number; id: string } | { tooLarge: number };

/** Diagnostics as a parse starts them: the environment's limit findings first. */
function startDiagnostics(
  limits: LoadLimits,
  problems: ReturnType<typeof resolveLimits>['problems'],
): Diagnostics {
  const diags = new Diagnostics(limits.maxDiagnostics);
  for (const p of problems) {
    diags.add('warning', 'LVSD_E_CONFIG_LIMIT', { file: p.variable, line: 0, col: 0 }, p.message);
  }
  return diags;
}

/** A parse's findings as a LoadResult: the model only when none is an error. */
function resultOf(fileName: string, diags: Diagnostics, model: Model | undefined): LoadResult {
  const diagnostics = diags.list;
  const more = omittedSummary(fileName, diags.omitted);
  if (more) diagnostics.push(more);
  return {
    model: diags.errorCount > 0 ? undefined : model,
    diagnostics,
    errorCount: diags.errorCount,
    warningCount: diags.warningCount,
  };
}

function parseMain(
  fileName: string,
  main: MainSource,
  opts: LoadOptions,
  host: SourceHost,
  capture?: ParseCapture,
): LoadResult {
  const env = opts.env ?? process.env;
  const { limits, problems } = limitsOf(env, opts);
  const diags = startDiagnostics(limits, problems);
  const configId = opts.configId ?? defaultConfigId();
  const lenient = opts.lenient ?? false;
  let model: Model | undefined;
  const size = 'tooLarge' in main ? main.tooLarge : main.bytes;
  if ('tooLarge' in main || size > limits.maxBytes) {
    diags.limit(
      { file: fileName, line: 1, col: 1 },
      `the file is ${formatBytes(size)}, more than the ${formatBytes(limits.maxBytes)} a configuration ` +
        `may total (the limit; ${limitVariables.maxBytes} raises it)`,
    );
  } else {
    const lexOpts = { configId, env, limits, mainBytes: main.bytes };
    const before = diags.errorCount + diags.warningCount;
    const lexed = lexSource(fileName, main.text, main.id, host, lexOpts, diags);
    // After a limit the text is cut short: what the parser and schema would add is noise.
    if (!lexed.stopped) {
      const ast = parseTokens(lexed.tokens, diags);
      capture?.parsed(lexed.tokens, ast, diags.errorCount + diags.warningCount === before);
      // The statement tree holds what it needs of the tokens: the list (a third of the parse's
      // memory at 100,000 reals, the line ends and braces among it) goes before the model is built.
      lexed.tokens.length = 0;
      model = buildModel({ diags, lenient }, ast, { configId, lenient }, lexed.files, capture?.builds);
    }
  }
  return resultOf(fileName, diags, model);
}

/** Parse and validate config text that came from `fileName` (includes resolve against it). */
export function parseConfigText(
  text: string,
  fileName: string,
  opts: LoadOptions = {},
  host: SourceHost = fsHost,
): LoadResult {
  // Text given directly (tests) may name no real file: the name is then only a label.
  const id = fileIdentity(fileName) ?? `label:${fileName}`;
  return parseMain(fileName, { text, bytes: Buffer.byteLength(text, 'utf8'), id }, opts, host);
}

/**
 * Read, parse and validate a configuration file. Never throws for bad input: see `diagnostics`.
 * Synchronous underneath (bounded, regular files only); a promise so that a bug still arrives as a
 * rejection, not a throw.
 */
export function loadConfig(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  return new Promise((resolve) => resolve(loadConfigSync(path, opts)));
}

function loadConfigSync(path: string, opts: LoadOptions): LoadResult {
  const { limits } = limitsOf(opts.env ?? process.env, opts);
  return loadRead(path, readConfigFile(path, limits.maxBytes), opts);
}

/** The load of a file as `readConfigFile` read it. */
function loadRead(path: string, r: ReturnType<typeof readConfigFile>, opts: LoadOptions): LoadResult {
  if (r.ok) return parseMain(path, r, opts, fsHost);
  // Too large is a finding about the file (exit 1); anything else means it cannot be read (exit 2).
  if (r.tooLarge !== undefined) return parseMain(path, { tooLarge: r.tooLarge }, opts, fsHost);
  return {
    model: undefined,
    diagnostics: [unreadableFile(path, 'configuration', r.reason)],
    errorCount: 1,
    warningCount: 0,
  };
}

/**
 * How a reload's reading went: whole, unchanged since the last, the statements that changed
 * (config/incremental.ts), or `ahead`: read while the standby waited, after the edit, and nothing it
 * read changed since (`FileReloader.current`; its count of statements parsed is that reading's).
 */
export type ReloadWay = LoadWay | 'ahead';

/**
 * One configuration file loaded again at each reload, parsing only the statements an edit changed
 * when that gives the same result as a whole parse (config/incremental.ts): the standby validator's
 * (cli/commands/check-config.ts). Holds the last text and what it built (~70 MB of heap at 10,000
 * virtual servers x 10 reals), and what that load read (load-inputs.io.ts): a standby that read an
 * edit while it waited hands that reading over at the reload when nothing it read changed since.
 */
export class FileReloader {
  readonly #path: string;
  readonly #opts: LoadOptions;
  readonly #limits: LoadLimits;
  readonly #loader: IncrementalLoader;
  /** What the load in progress, or the last one, read. */
  #inputs = new LoadInputs();
  readonly #host = recordingHost(fsHost, () => this.#inputs);
  #result: LoadResult | undefined;
  #way: { way: ReloadWay; parsed: number } = { way: 'whole', parsed: 0 };

  constructor(path: string, opts: LoadOptions = {}) {
    this.#path = path;
    this.#opts = opts;
    const env = opts.env ?? process.env;
    const { limits, problems } = limitsOf(env, opts);
    this.#limits = limits;
    const configId = opts.configId ?? defaultConfigId();
    const lenient = opts.lenient ?? false;
    const lexOpts = { configId, env, limits };
    this.#loader = new IncrementalLoader({
      limits,
      whole: (text, capture) => {
        const id = fileIdentity(path) ?? `label:${path}`;
        const main = { text, bytes: Buffer.byteLength(text, 'utf8'), id };
        return parseMain(path, main, opts, this.#host, capture);
      },
      diagnostics: () => startDiagnostics(limits, problems),
      lex: (text, o, diags) =>
        lexSource(path, text, `label:${path}`, this.#host, { ...lexOpts, ...o }, diags),
      parse: parseTokens,
      build: (diags, statements, builds) =>
        buildModel({ diags, lenient }, statements, { configId, lenient }, [path], builds),
      result: (diags, model) => resultOf(path, diags, model),
    });
  }

  /** How the last reading went: parsed whole, unchanged, only the statements that changed, ahead. */
  get last(): { way: ReloadWay; parsed: number } {
    return this.#way;
  }

  /** Read and validate the file as `loadConfig` does. */
  load(): LoadResult {
    this.#inputs = new LoadInputs();
    this.#result = undefined; // (kept only once this load has ended)
    const r = this.#host.readFile(this.#path, this.#limits.maxBytes);
    let result: LoadResult;
    if (r.ok && r.bytes <= this.#limits.maxBytes) result = this.#loader.load(r.text);
    else {
      this.#loader.forget();
      result = loadRead(this.#path, r, this.#opts);
    }
    this.#way = this.#loader.last;
    this.#result = result;
    return result;
  }

  /**
   * The file as it is now: the last load's result when every file it read is as it was then (and
   * was settled when read: load-inputs.io.ts), else read again.
   */
  current(): LoadResult {
    if (this.#result && this.#inputs.trusted && this.#inputs.now(globSync) === 'same') {
      this.#way = { way: 'ahead', parsed: this.#way.parsed }; // (what that reading parsed)
      return this.#result;
    }
    return this.load();
  }

  /**
   * Whether a load now would read something the last one did not, and could be trusted for it: a
   * file or expansion changed since (each change at least load-inputs.io.ts `SETTLE_MS` old), or a
   * file read too soon after its change is settled now.
   */
  stale(): boolean {
    return this.#result === undefined || this.#inputs.now(globSync) === 'changed';
  }
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
