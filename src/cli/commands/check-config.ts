// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd check-config [-f FILE] [-i ID] [--host] [--json] [--lenient]`: validate a configuration.
 * Prints every diagnostic as `file:line:col: severity: message` on stderr. Exit 0 when valid
 * (warnings allowed), 1 when invalid, 2 on a usage error or an unreadable file (like `keepalived -t`
 * distinguishes "cannot run" from "config errors"). `--host` adds the host checks `lvsd run` makes
 * (config/environment.ts) on the machine it runs on: an error there (a missing script, an unsafe
 * one under `enable_script_security`) exits 1, warnings (a missing interface or address) are
 * printed. `--json` prints the normalized Model. Loading is bounded (src/config/limits.ts): the
 * first 50 findings are printed, then one line with how many more.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { rmSync } from 'node:fs';
import type { CliRun } from '../command.js';
import { configIdOption, fileOption, jsonOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';
import type { FileReloader, loadConfig } from '../../config/load.io.js';
import type { VsTextCache } from '../../config/fingerprints.js';
import type { DeltaBaseReader } from '../../daemon/delta-base.js';
import type { DeltaBase, ModelFileLines } from '../../daemon/model-file.js';
import type { Diagnostic, Model } from '../../config/model.js';
import { shapeOf } from '../../daemon/model-shape.js';
import { LOWEST_NICE, setProcessPriority } from '../../daemon/process-priority.js';

interface CheckConfigOptions {
  file: string;
  configId?: string;
  json?: boolean;
  lenient?: boolean;
  host?: boolean;
  resultJson?: boolean;
  resultView?: string;
  resultWait?: boolean;
  resultModelFile?: string;
  resultVrrpFile?: string;
  resultDeltaFile?: string;
  resultBaseFile?: string;
}

export function register(parent: Command, cli: CliRun): Command {
  return (
    subcommand(parent, 'check-config', cli)
      .summary('validate a configuration file')
      .description(
        'Validate a configuration file and print its findings as file:line:col: severity: message. Exit 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.',
      )
      .usage('[-f FILE] [-i ID] [--host] [--json] [--lenient]')
      .addOption(fileOption())
      .addOption(configIdOption())
      .addOption(jsonOption('the normalized model'))
      .option('--lenient', 'keepalived keywords lvsd does not implement are warnings, not errors')
      .option(
        '--host',
        'also check this machine as `lvsd run` does: interfaces and addresses (warnings), scripts, their users and script security (errors)',
      )
      // internal: the daemon validates reloads in a child process (src/daemon/validate-config.ts)
      .addOption(new Option('--result-json').hideHelp())
      // internal: the model as the VRRP worker reads it (src/config/views.ts), or `files`: model.json
      // then the VRRP worker's model.vrrp.json, as the supervisor writes them (validate-config.ts)
      .addOption(new Option('--result-view <view>').choices(['vrrp', 'files']).hideHelp())
      // internal: started ahead of a reload (daemon/validator-standby.ts): load and warm the parser,
      // then read standard input to its end; `go` validates, anything else exits without a word
      .addOption(new Option('--result-wait').hideHelp())
      // internal: with `--result-view files`, write model.json and model.vrrp.json to these paths
      // (the supervisor's run directory) instead of standard output: the supervisor renames them
      // into place and never holds the whole model (validate-config.ts)
      .addOption(new Option('--result-model-file <path>').hideHelp())
      .addOption(new Option('--result-vrrp-file <path>').hideHelp())
      // internal: a standby with `--result-view files` may first write, here, a delta against the
      // model file at `--result-base-file` (model.json in force: daemon/model-file.ts), answer, and
      // only then write model.json whole
      .addOption(new Option('--result-delta-file <path>').hideHelp())
      .addOption(new Option('--result-base-file <path>').hideHelp())
      .addHelpText(
        'after',
        '\nLoading limits (lvsd.conf(5)): LVSD_CONFIG_MAX_BYTES [64M], LVSD_CONFIG_MAX_FILES [1000],\n' +
          'LVSD_CONFIG_MAX_TOKENS [1000000]; the first 50 findings are printed, then how many more.',
      )
      .action(cli.act((o: CheckConfigOptions) => checkConfig(o, cli.io)))
  );
}

/** `lvsd check-config ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

type Loaded = Awaited<ReturnType<typeof loadConfig>>;

/** The host checks on this machine added to a loaded file's findings; an error refuses the model. */
async function withHost(loaded: Loaded): Promise<Loaded> {
  if (!loaded.model) return loaded;
  const { hostDiagnostics } = await import('../../config/host.io.js');
  const host = hostDiagnostics(loaded.model);
  const errors = host.filter((d) => d.severity === 'error').length;
  return {
    ...loaded,
    model: errors > 0 ? undefined : loaded.model,
    diagnostics: [...loaded.diagnostics, ...host],
    errorCount: loaded.errorCount + errors,
    warningCount: loaded.warningCount + host.length - errors,
  };
}

/** A full collection, when the process may ask for one (a standby: validate-config.ts `--expose-gc`). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 2; i++) gc();
}

/**
 * What a standby validator holds for its reload: the file as last read, its texts, (when it may
 * write a delta) the model.json in force to make it against, and the model files' contents made
 * for the last model it read.
 */
interface Standby {
  reloader: FileReloader;
  texts: VsTextCache;
  base: DeltaBaseReader | undefined;
  made?: MadeFiles;
}

/** The model files' contents for `model` against `base` (model-file.ts), made while waiting. */
interface MadeFiles {
  model: Model;
  base: DeltaBase | undefined;
  lines: ModelFileLines;
  vrrp: Buffer;
  /** Written to the paths the supervisor gave already (after an edit read ahead: `readingAhead`). */
  written: boolean;
}

/** How often a waiting standby looks for an edit to read ahead (at least: `readingAhead`). */
const AHEAD_POLL_MS = 250;

/**
 * A validator started ahead of need: its modules loaded, the file read and parsed as it is now, its
 * virtual servers' texts made (what the reload will need of them when it left them as they are:
 * config/incremental.ts), while it waits; `go` on standard input then reads the file again. Undefined
 * when standard input ended otherwise (dismissed, or its supervisor gone). When the file could not
 * be built (unreadable, invalid) the parser is warmed on a generated file instead, in steps that stop
 * at `go`: a reload that comes while it is still warming waits for one step, not for all of it.
 */
async function standingBy(o: CheckConfigOptions, io: CliIo): Promise<Standby | undefined> {
  // the host checks' and the answer's modules are loaded now too, used after `go` (the files'
  // writer and its pieces among them: loaded at `go`, ~2-5 ms before the answer)
  const [
    { warmUpParser },
    { fingerprintedModelLines, modelFileLinesWithDelta, vrrpModelFileBytes },
    { FileReloader },
    { VsTextCache },
    { hostDiagnostics },
    { DeltaBaseReader },
    { writeChunksAtomic },
    { linesInMegabytes },
  ] = await Promise.all([
    import('../../config/warm-up.io.js'),
    import('../../daemon/model-file.js'),
    import('../../config/load.io.js'),
    import('../../config/fingerprints.js'),
    import('../../config/host.io.js'),
    import('../../daemon/delta-base.js'),
    import('../../daemon/files.js'),
    import('../../core/pieces.js'),
  ]);
  let said: string | undefined;
  const input = io.readStdin().then((text) => (said = text));
  const standby: Standby = {
    reloader: new FileReloader(o.file, { configId: o.configId, lenient: o.lenient ?? false }),
    texts: new VsTextCache(),
    base: o.resultDeltaFile && o.resultBaseFile ? new DeltaBaseReader(o.resultBaseFile) : undefined,
  };
  const now = standby.reloader.load();
  await new Promise((resolve) => setImmediate(resolve)); // standard input's news, if any
  // a reload that came meanwhile reads the file now: what follows would only delay it
  const paths = resultPaths(o);
  // `write`: after an edit read ahead, the files are written too (not for the file as it runs: a
  // reload of it, unchanged, is rare, and model.json whole is ~60 MB at 10,000 x 10)
  const make = (model: Model, write = false): void => {
    const base = standby.base?.read();
    const lines = modelFileLinesWithDelta(model, standby.texts, base);
    const vrrp = vrrpModelFileBytes(model, standby.texts, lines.whole[0]);
    let written = false;
    if (write && paths) {
      try {
        if (lines.delta && paths.delta) writeChunksAtomic(paths.delta, linesInMegabytes(lines.delta));
        else if (paths.delta) rmSync(paths.delta, { force: true }); // (an earlier reading's)
        writeChunksAtomic(paths.vrrp, [vrrp]);
        writeChunksAtomic(paths.whole, linesInMegabytes(lines.whole));
        written = true;
      } catch {
        // written again at `go`, where a failure is the answer's finding
      }
    }
    standby.made = { model, base, lines, vrrp, written };
    // made again at `go` (the machine may change), on code run here (~2 ms then, not ~10 cold)
    hostDiagnostics(model);
  };
  if (now.model && said === undefined) {
    // once more as it is: the code of a reading again runs warm at `go`; then what `go` does after
    // reading, done once for the model that reading made (`make`: its code compiled, the texts and
    // model.json's header kept; the host checks' findings are made again then: the machine may change)
    const again = standby.reloader.load();
    if (again.model) make(again.model);
  }
  // what the parse left (its words and statements: ~2x what it keeps) goes now, not when V8's
  // memory reducer finds the process idle (~1 min): at 10,000 x 10, RSS ~700 -> ~450 MB
  if (said === undefined) collectGarbage();
  for (let step = 0; step < 6 && said === undefined && !now.model; step++) {
    const warm = warmUpParser(50);
    if (warm) fingerprintedModelLines(warm);
    await new Promise((resolve) => setImmediate(resolve)); // standard input's news, if any
  }
  const stop = said === undefined ? readingAhead(standby.reloader, (m) => make(m, true)) : () => {};
  // its garbage goes back to the system while it waits: V8's memory reducer, ~30 s idle
  const word = await input;
  stop();
  return word.trim() === 'go' ? standby : undefined;
}

/**
 * While a standby waits: the file read again as soon as anything it read changed (a stat of each
 * file and a listing of each include pattern every `AHEAD_POLL_MS`, or 50 times as long as the
 * last look took: at most ~2 % of a CPU at nice 19), and its model files' contents made (`make`).
 * A reload after an edit then finds it read (`FileReloader.current`): at 10,000 virtual servers x
 * 10 reals, ~55 ms from its SIGHUP to the kernel instead of ~130 (bench/results/reload-delta.md). What it
 * read is trusted only as load-inputs.io.ts says; a file changed too recently is read again later,
 * and at `go` whatever changed since is read then, as before.
 */
function readingAhead(reloader: FileReloader, make: (model: Model) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const look = (): void => {
    const t0 = performance.now();
    const stale = reloader.stale();
    const delay = Math.max(AHEAD_POLL_MS, 50 * (performance.now() - t0));
    if (stale) {
      const r = reloader.load();
      if (r.model) make(r.model);
      if (reloader.last.way === 'whole') collectGarbage(); // (as at start: a whole parse's garbage)
    }
    timer = setTimeout(look, delay).unref();
  };
  timer = setTimeout(look, AHEAD_POLL_MS).unref();
  return () => clearTimeout(timer);
}

/**
 * A file of `chunks` at `path`, written whole or not at all; a finding about the file when it
 * cannot be.
 */
async function writeResultFile(
  chunks: Iterable<string | Uint8Array>,
  path: string,
): Promise<Diagnostic | undefined> {
  const { writeChunksAtomic } = await import('../../daemon/files.js');
  try {
    writeChunksAtomic(path, chunks);
    return undefined;
  } catch (e) {
    return {
      severity: 'error',
      code: 'LVSD_E_CONFIG_IO',
      message: `cannot write the validated model: ${(e as Error).message}`,
      file: path,
      line: 0,
      col: 0,
    };
  }
}

/**
 * The validating child's model files, at the paths the supervisor gave: model.vrrp.json, and
 * model.json or, for a standby that kept the last model's texts, first a delta against the
 * model.json in force (daemon/model-file.ts) when that is worth it. The answer line is printed
 * once the files it names are in place; after a delta, model.json is written whole, and the exit
 * status says whether it was.
 */
async function writeResultModel(
  model: Model,
  o: CheckConfigOptions & { resultModelFile: string; resultVrrpFile: string },
  standby: Standby | undefined,
  answer: (findings: Diagnostic[], more: object) => void,
): Promise<number> {
  const [{ modelFileLinesWithDelta, vrrpModelFileBytes }, { VsTextCache }, { linesInMegabytes }] =
    await Promise.all([
      import('../../daemon/model-file.js'),
      import('../../config/fingerprints.js'),
      import('../../core/pieces.js'),
    ]);
  const kept = standby?.texts ?? new VsTextCache();
  const base = standby?.base?.read();
  // made while it waited, when for this model (read ahead, or unchanged) and model.json in force
  const made = standby?.made?.model === model && standby.made.base === base ? standby.made : undefined;
  const lines = made?.lines ?? modelFileLinesWithDelta(model, kept, base);
  const first =
    lines.delta && o.resultDeltaFile ? { lines: lines.delta, path: o.resultDeltaFile } : undefined;
  const delta = first ? { delta: first.lines.length - 1 } : {};
  // the workers it needs, said in the answer: the supervisor tells them before it reads the view
  const shape = { shape: shapeOf(model) };
  if (made?.written) {
    answer([], { model: true, written: true, ...shape, ...delta }); // every file in place already
    yieldToTheWorkers();
    return 0;
  }
  const failed =
    (await writeResultFile(
      linesInMegabytes(first?.lines ?? lines.whole),
      first?.path ?? o.resultModelFile,
    )) ??
    (await writeResultFile(
      [made?.vrrp ?? vrrpModelFileBytes(model, kept, lines.whole[0])],
      o.resultVrrpFile,
    ));
  answer(failed ? [failed] : [], {
    model: failed === undefined,
    written: true,
    ...(failed ? {} : { ...shape, ...delta }),
  });
  if (failed) return 1;
  yieldToTheWorkers();
  if (!first) return 0;
  return (await writeResultFile(linesInMegabytes(lines.whole), o.resultModelFile)) === undefined ? 0 : 1;
}

/**
 * Once it has answered, what is left of the child (model.json written whole after a delta, and its
 * exit: freeing a large model's heap) waits on nothing: at the lowest priority, so that on a
 * director with busy cores it does not take CPU from the workers applying the model it answered.
 */
function yieldToTheWorkers(): void {
  setProcessPriority(process.pid, LOWEST_NICE);
}

/** Where a standby writes the model files (`--result-*-file`), when the supervisor gave them. */
function resultPaths(o: CheckConfigOptions): { whole: string; vrrp: string; delta?: string } | undefined {
  if (o.resultView !== 'files' || !o.resultModelFile || !o.resultVrrpFile) return undefined;
  const delta = o.resultDeltaFile && o.resultBaseFile ? { delta: o.resultDeltaFile } : {};
  return { whole: o.resultModelFile, vrrp: o.resultVrrpFile, ...delta };
}

async function checkConfig(o: CheckConfigOptions, io: CliIo): Promise<number> {
  // The configuration language loads here, not with the program: other commands (the daemon's
  // workers among them) do not pay for it.
  const [{ formatDiagnostic, isUnreadableFile }, { loadConfig }] = await Promise.all([
    import('../../config/diagnostics.js'),
    import('../../config/load.io.js'),
  ]);
  const standby = o.resultWait ? await standingBy(o, io) : undefined;
  if (o.resultWait && !standby) {
    // dismissed: what it wrote ahead goes (the supervisor removes it too, once this has exited)
    const paths = resultPaths(o);
    for (const p of paths ? [paths.whole, paths.vrrp, paths.delta] : [])
      if (p !== undefined) rmSync(p, { force: true });
    return 0;
  }
  const loaded = standby
    ? standby.reloader.current()
    : await loadConfig(o.file, { configId: o.configId, lenient: o.lenient ?? false });
  const { model, diagnostics, errorCount, warningCount } = o.host ? await withHost(loaded) : loaded;
  if (o.resultJson) {
    // the validating child of a reload: the fingerprints (or the VRRP view) are made here, off the
    // daemon's loops. A line with the findings, then the model as model.json holds it (a reader
    // keeps the virtual servers it has: daemon/model-file.ts).
    const { fingerprintedModelLines, vrrpModelFileText } = await import('../../daemon/model-file.js');
    const parsed = standby ? { parsed: standby.reloader.last } : {};
    if (model && o.resultView === 'files' && o.resultModelFile && o.resultVrrpFile) {
      const files = { ...o, resultModelFile: o.resultModelFile, resultVrrpFile: o.resultVrrpFile };
      return writeResultModel(model, files, standby, (failed, more) =>
        io.stdout(`${JSON.stringify({ diagnostics: [...diagnostics, ...failed], ...more, ...parsed })}\n`),
      );
    }
    io.stdout(`${JSON.stringify({ diagnostics, model: model !== undefined, ...parsed })}\n`);
    if (!model) return 1;
    if (o.resultView === 'vrrp') {
      io.stdout(vrrpModelFileText(model, standby?.texts));
      return 0;
    }
    // line by line: at 100,000 reals the text is ~60 MB, and one string of it a copy more
    for (const line of fingerprintedModelLines(model, standby?.texts)) io.stdout(`${line}\n`);
    if (o.resultView === 'files') io.stdout(vrrpModelFileText(model, standby?.texts));
    return 0;
  }
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
  if (diagnostics.some(isUnreadableFile)) return 2;
  if (!model) {
    io.stderr(`${o.file}: ${errorCount} error${errorCount === 1 ? '' : 's'}\n`);
    return 1;
  }
  if (o.json) io.stdout(`${JSON.stringify(model, null, 2)}\n`);
  else {
    const w = warningCount;
    io.stdout(
      `${o.file}: OK (${model.vrrpInstances.length} vrrp_instance, ${model.virtualServers.length} virtual_server` +
        `${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''})\n`,
    );
  }
  return 0;
}
