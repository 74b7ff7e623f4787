// SPDX-License-Identifier: Apache-2.0
/**
 * The supervisor's reload validation of a small configuration, in its own process. Starting the
 * validating child (validate-config.ts) is most of a small file's reload: ~110 ms of Node and
 * module loading on the host, ~2–3 s in the emulated test VM, where keepalived reloads the same
 * file in ~60 ms. A file that loads within `smallConfigLimits` (256 KiB, 64 files, 50,000 words)
 * parses in a few ms here; the supervisor loaded the configuration language at start anyway. The
 * limits (or the environment's `LVSD_CONFIG_MAX_*`, where smaller) bound what a file can cost this
 * event loop (regular files only, sizes checked before reading: config/source-files.io.ts); a file
 * that reaches any of them goes to the child, which judges it with the limits every other
 * validation uses. The answer is the child's, made by the same functions: the same
 * findings, model.json and model.vrrp.json bytes, and the view parsed back from its bytes.
 */
import { statSync } from 'node:fs';
import type { LoadLimits } from '../config/limits.js';
import { resolveLimits } from '../config/limits.js';
import { type ValidateOptions, type ValidationResult, validateConfigInChild } from './validate-config.js';
import type { StandbyValidator } from './validator-standby.js';

/**
 * What a configuration validated in the supervisor's own process may reach. Only limits that stop
 * the loading with a limit finding (LVSD_E_CONFIG_LIMIT) are lowered: the others (continued lines,
 * include depth) are errors about the file, and must be the child's.
 */
export const smallConfigLimits: Readonly<Partial<LoadLimits>> = Object.freeze({
  maxBytes: 256 * 1024,
  maxFiles: 64,
  maxTokens: 50_000,
  maxDirEntries: 1_000,
});

/**
 * Whether a configuration read from `files` (a model's `files`: the main file and its includes)
 * is past what this process validates: more files, or more bytes in all, than the small limits
 * allow. A guess from their sizes now, for starting a child ahead (validator-standby.ts); the
 * reload itself decides by loading. `bytes`: their `configBytes`, when the caller has it.
 */
export function largeConfig(files: readonly string[], bytes = configBytes(files)): boolean {
  if (files.length > (smallConfigLimits.maxFiles ?? Infinity)) return true;
  return bytes > (smallConfigLimits.maxBytes ?? Infinity);
}

/** The bytes of `files` now, each file once (a file gone since counts nothing: the reload will say so). */
export function configBytes(files: readonly string[]): number {
  let bytes = 0;
  for (const f of new Set(files)) {
    try {
      bytes += statSync(f).size;
    } catch {
      // gone since
    }
  }
  return bytes;
}

/**
 * The validation of `o.configFile` as the child would answer it with `view: 'files'`, or
 * undefined when the file is not small (the caller asks the child).
 */
export async function validateSmallConfigHere(
  o: Pick<ValidateOptions, 'configFile' | 'configId' | 'lenient'>,
  env: Record<string, string | undefined> = process.env,
): Promise<ValidationResult | undefined> {
  // the environment's limits as the child reads them: a malformed one is a finding of the child's
  const { limits, problems } = resolveLimits(env);
  if (problems.length > 0) return undefined;
  // here, each limit is the smaller of the two: a file that loads within them loads within the
  // child's, with the same answer (a limit changes the answer only where it stops the loading)
  const here = { ...limits };
  for (const [k, v] of Object.entries(smallConfigLimits) as Array<[keyof LoadLimits, number]>)
    here[k] = Math.min(v, limits[k]);
  const [{ loadConfig }, { withHostChecks }, { modelFilesText, parseModelText }] = await Promise.all([
    import('../config/load.io.js'),
    import('./run-config.js'),
    import('./model-file.js'),
  ]);
  const loaded = await loadConfig(o.configFile, {
    configId: o.configId,
    lenient: o.lenient ?? false,
    env,
    limits: here,
    limitsFinal: true,
  });
  if (loaded.diagnostics.some((d) => d.code === 'LVSD_E_CONFIG_LIMIT')) return undefined;
  if (!loaded.model) return { model: undefined, diagnostics: loaded.diagnostics };
  const { model, diagnostics } = await withHostChecks(loaded.model, loaded.diagnostics);
  if (!model) return { model: undefined, diagnostics };
  const text = modelFilesText(model);
  const files = { whole: Buffer.from(text.whole, 'utf8'), vrrp: Buffer.from(text.vrrp, 'utf8') };
  return { model: parseModelText(files.vrrp), diagnostics, files };
}

/**
 * How the supervisor validates a reload (and its dry run): a small file here (any child waiting
 * for a large one is dismissed), any other in a child, the standby's when it has one; either way
 * the two model files and the VRRP view (`view: 'files'`).
 */
export async function validateForSupervisor(
  o: Omit<ValidateOptions, 'view'>,
  standby?: StandbyValidator,
): Promise<ValidationResult> {
  // an exception here (a bug, not a bad file: loading never throws for bad input) is the child's
  // to meet, in its own process, as any validation before this module was
  const here = await validateSmallConfigHere(o).catch(() => undefined);
  if (here) {
    standby?.dismiss();
    return here;
  }
  return standby ? standby.validate(o) : validateConfigInChild({ ...o, view: 'files' });
}
