// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd <command>`: the entry point bin/lvsd calls. Every command but `ipvs` is parsed by the
 * program in src/cli/program.ts; `lvsd ipvs` takes ipvsadm's command line verbatim and its own
 * parser (src/ipvs/ipvsadm-args.ts) reads it, so no other parser sees those arguments. Heavy
 * modules load lazily, so `lvsd ipvs` does not pay for the VRRP engine and vice versa.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

/**
 * `lvsd help CMD [SUB]` as `lvsd CMD [SUB] --help`, so nested commands have help too; a name that
 * is no command is parsed alone, which reports it as unknown.
 */
function helpAsFlag(root: Command, argv: readonly string[]): readonly string[] {
  if (argv[0] !== 'help' || argv.length < 2) return argv;
  const known = root.commands.some((c) => c.name() === argv[1]);
  return known ? [...argv.slice(1), '--help'] : argv.slice(1, 2);
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'ipvs' || (name === 'help' && rest[0] === 'ipvs')) {
    const ipvs = await import('./commands/ipvs.js');
    return ipvs.run(name === 'ipvs' ? rest : ['-h'], io);
  }
  // `lvsd run` (the daemon and its workers: their start-up is the daemon's cold start) loads its
  // own command alone, not the modules of every other command.
  if (name === 'run') {
    // a worker's command line, from its supervisor, is read without commander (worker-argv.ts)
    const { readWorkerArgv } = await import('../daemon/worker-argv.js');
    const worker = readWorkerArgv(rest);
    if (worker) {
      const { runDaemon } = await import('./commands/run-daemon.js');
      return runDaemon(
        {
          file: worker.configFile,
          configId: worker.configId,
          realtime: worker.realtime,
          model: worker.modelFile,
          awaitModel: worker.awaitModel,
          vrrpOnly: worker.role === 'vrrp',
          checkOnly: worker.role === 'lvs',
        },
        io,
      );
    }
    const run = await import('./commands/run.js');
    return run.run(rest, io);
  }
  // commander (seven CommonJS files) is loaded only here: `lvsd ipvs` never needs it.
  const [{ buildProgram }, { CliRun, parseCommandLine }] = await Promise.all([
    import('./program.js'),
    import('./command.js'),
  ]);
  const cli = new CliRun(io);
  const root = buildProgram(cli);
  return parseCommandLine(root, helpAsFlag(root, argv), cli);
}
