// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd completion bash`: print the bash completion script (the .deb installs it in
 * /usr/share/bash-completion/completions/lvsd; by hand: `source <(lvsd completion bash)`). It is
 * generated from the commands themselves (src/cli/completion.ts); `lvsd ipvs` completes ipvsadm's
 * options from the table its own parser reads (src/ipvs/ipvsadm-options.ts).
 */
import type { Command } from 'commander';
import { Argument } from 'commander';
import type { CliRun } from '../command.js';
import { runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

export function register(parent: Command, cli: CliRun): Command {
  return subcommand(parent, 'completion', cli)
    .summary('print the shell completion script')
    .usage('bash')
    .addArgument(new Argument('[shell]', 'the shell').choices(['bash']).default('bash'))
    .addHelpText('after', '\nUse: source <(lvsd completion bash)')
    .action(
      cli.act(async (_shell: string, _o: unknown, cmd: Command) => {
        cli.io.stdout(await completionScript(cmd.parent ?? cmd));
        return 0;
      }),
    );
}

/** `lvsd completion ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

/** The script for `root` and its commands, with `help COMMAND` and ipvsadm's options added. */
async function completionScript(root: Command): Promise<string> {
  const [{ bashCompletion, completionNodes }, { optSpecs }, { ipvsadmSchedulers }] = await Promise.all([
    import('../completion.js'),
    import('../../ipvs/ipvsadm-options.js'),
    import('../../ipvs/model.js'),
  ]);
  const nodes = completionNodes(root);
  const top = nodes[0]!;
  const ipvs = nodes.find((n) => n.path === 'ipvs');
  if (ipvs) {
    ipvs.subcommands = ['list', 'save', 'restore', 'apply'];
    ipvs.options = [
      ...new Set(optSpecs.flatMap((o) => (o.short ? [`-${o.short}`, `--${o.long}`] : [`--${o.long}`]))),
    ];
    for (const o of optSpecs) {
      if (o.arg !== 'required') continue;
      const kind =
        o.long === 'scheduler'
          ? { kind: 'choices' as const, words: [...ipvsadmSchedulers] }
          : o.long === 'start-daemon' || o.long === 'stop-daemon'
            ? { kind: 'choices' as const, words: ['master', 'backup'] }
            : { kind: 'word' as const };
      for (const f of o.short ? [`-${o.short}`, `--${o.long}`] : [`--${o.long}`]) ipvs.values[f] = kind;
    }
  }
  nodes.push({ path: 'help', subcommands: [...top.subcommands], options: [], values: {}, argWords: [] });
  top.subcommands.push('help');
  return bashCompletion(nodes);
}
