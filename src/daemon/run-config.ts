// SPDX-License-Identifier: Apache-2.0
/**
 * Where a worker gets its configuration. Started by hand, a worker parses the config file itself.
 * Started by the supervisor, it reads the Model the supervisor validated (`--model FILE`, JSON): a
 * worker restarted after a crash then runs the configuration in force, not whatever is on disk now
 * (an edited file that failed validation on SIGHUP must never reach a restarted worker), and both
 * workers always run the same configuration. keepalived keeps a copy of its config for the same
 * reason. The supervisor replaces the file atomically (write + rename) before it signals a reload.
 */
import { renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { unreadableFile } from '../config/diagnostics.js';
import { withFingerprints } from '../config/fingerprints.js';
import { vrrpView } from '../config/views.js';
import { readFileStart, writeFileAtomic } from './files.js';
import { modelFilesText, modelIdIn, parseModelDelta, parseModelText } from './model-file.js';
import { deltaModelFile, vrrpModelFile } from './model-paths.js';
import type { RunOptions } from './run-options.js';
import type { ValidateOptions } from './validate-config.js';
import type { WrittenModelFiles } from './validator-files.js';
import type { Diagnostic, Model } from '../config/model.js';

export interface LoadedRunConfig {
  model: Model | undefined;
  diagnostics: Diagnostic[];
}

/**
 * How `lvsd run` validates a file in a child (a reload, its --dry-run): the same file, id and
 * `--lenient` mode as at start, so a file that started is judged the same way on reload.
 */
export function validationOf(opts: RunOptions, file?: string): ValidateOptions {
  return { configFile: file ?? opts.configFile, configId: opts.configId, lenient: opts.lenient ?? false };
}

/**
 * The configuration to run: the validated Model when the supervisor gave one; else the file,
 * parsed here (at start) or, with `offLoop` (a reload), in a child process so a hostile file never
 * blocks this event loop (validate-config.ts), which hands back the whole model or, with `view`,
 * the VRRP worker's view of it (config/views.ts).
 */
export async function loadRunConfig(
  opts: RunOptions,
  how: {
    offLoop?: boolean;
    view?: 'vrrp' | undefined;
    /** The model running now: a model file's unchanged virtual servers are kept, not parsed (model-file.ts). */
    previous?: Model | undefined;
  } = {},
): Promise<LoadedRunConfig> {
  const { offLoop = false, view, previous } = how;
  if (opts.modelFile !== undefined) {
    try {
      return { model: await readModelFiles(opts.modelFile, previous), diagnostics: [] };
    } catch (e) {
      const reason = (e as Error).message;
      return {
        model: undefined,
        diagnostics: [unreadableFile(opts.modelFile, 'the validated model', reason)],
      };
    }
  }
  if (offLoop) {
    const { validateConfigInChild } = await import('./validate-config.js');
    return validateConfigInChild({ ...validationOf(opts), view, previous });
  }
  // The config language (lexer, parser, schema, ipaddr.js) loads only when a file is to be parsed:
  // a worker the supervisor started reads the validated Model and never needs it.
  const { loadConfig } = await import('../config/load.io.js');
  const loaded = await loadConfig(opts.configFile, {
    ...(opts.configId !== undefined ? { configId: opts.configId } : {}),
    lenient: opts.lenient ?? false,
  });
  if (!loaded.model) return loaded;
  const checked = await withHostChecks(loaded.model, loaded.diagnostics);
  if (!checked.model) return checked;
  // as the validating child hands it over: the VRRP view, or with the fingerprints the next reload
  // compares (a worker started by hand must not rebuild everything at its first reload)
  return { ...checked, model: view === 'vrrp' ? vrrpView(checked.model) : withFingerprints(checked.model) };
}

/** A file's bytes, or undefined when there is none. */
async function readIfThere(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The model the supervisor placed at `path`: model.json, or the delta beside it while it is made
 * against that model.json (a reload's, until the whole new model replaces it: model-file.ts),
 * whose virtual servers come from `previous` (the model running) or else from model.json. The
 * delta is read first: once the supervisor puts the whole new model in place and removes the
 * delta, model.json is no longer its base, and is read as the model. Bytes, not text: the lines of
 * unchanged virtual servers are never decoded.
 */
export async function readModelFiles(path: string, previous?: Model): Promise<Model> {
  const delta = await readIfThere(deltaModelFile(path));
  if (delta) {
    const baseId = modelIdIn(readFileStart(path, 128));
    let model = parseModelDelta(delta, baseId, previous);
    if (model === 'needs base') model = parseModelDelta(delta, baseId, previous, await readFile(path));
    if (model !== 'stale' && model !== 'needs base') return model;
  }
  return parseModelText(await readFile(path), previous);
}

/**
 * The host checks `lvsd run` makes on this machine (config/environment.ts): what keepalived refuses
 * (a missing or unsafe script, an unknown user) is an error and refuses the file; a missing
 * interface or address is a warning (the instance waits for it).
 */
export async function withHostChecks(model: Model, diagnostics: Diagnostic[]): Promise<LoadedRunConfig> {
  const { hostDiagnostics } = await import('../config/host.io.js');
  const host = hostDiagnostics(model);
  const all = [...diagnostics, ...host];
  return { model: host.some((d) => d.severity === 'error') ? undefined : model, diagnostics: all };
}

/**
 * Write the Model for the workers (0600: it holds auth_pass); readers never see a half-written file.
 * With its fingerprints, so that a reload finds what changed without comparing it; and beside it
 * the VRRP worker's view (`vrrpModelFile`), written first: a worker signalled after this returns
 * finds both new.
 */
export function writeModelFile(path: string, model: Model): void {
  writeModelFiles(path, modelFilesText(model));
}

/**
 * `writeModelFile` for files the validating child made (`ModelFiles`): their bytes as it wrote
 * them, never parsed nor stringified here (at 10,000 virtual servers x 10 reals ~1 s of the
 * supervisor's loop per reload).
 */
export function writeModelFiles(
  path: string,
  files: { whole: string | Uint8Array; vrrp: string | Uint8Array },
): void {
  writeFileAtomic(vrrpModelFile(path), files.vrrp, 0o600);
  writeFileAtomic(path, files.whole, 0o600);
  rmSync(deltaModelFile(path), { force: true }); // made against the model just replaced
}

/**
 * A validation's model files at `path` (and its VRRP view beside it, first): renamed into place
 * when the child wrote them in this directory (`written`), else written from their bytes. When
 * the child wrote a delta first (`written.delta`), the VRRP view and the delta are placed, and
 * model.json is left for `placeWholeModelFile` once the child has written it.
 */
export function placeModelFiles(
  path: string,
  r: { files?: { whole: Uint8Array; vrrp: Uint8Array }; written?: WrittenModelFiles },
): void {
  if (r.written) {
    renameSync(r.written.vrrp, vrrpModelFile(path));
    if (r.written.delta) renameSync(r.written.delta.path, deltaModelFile(path));
    else placeWholeModelFile(path, r.written.whole);
  } else if (r.files) writeModelFiles(path, r.files);
  else throw new Error('a validation without model files');
}

/**
 * The whole model a child wrote at `written` renamed to `path`, then the delta beside it removed:
 * a worker that reads between the two finds the delta made against another model and ignores it.
 */
export function placeWholeModelFile(path: string, written: string): void {
  renameSync(written, path);
  rmSync(deltaModelFile(path), { force: true });
}

/**
 * After a validation whose child wrote a delta first (`written.delta`, placed): the whole model
 * renamed into place once the child has written it (`wholeWritten`). False when it could not: the
 * delta then stays beside model.json, and the two are the model in force (`readModelFiles`).
 */
export async function placeWholeWhenWritten(
  path: string,
  written: WrittenModelFiles,
  wholeWritten: Promise<boolean> | undefined,
): Promise<boolean> {
  if (!(await wholeWritten)) return false;
  placeWholeModelFile(path, written.whole);
  return true;
}
