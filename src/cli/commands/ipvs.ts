// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd ipvs`: the seed's ipvsadm, in lvsd, over the project's netlink driver.
 *
 *   lvsd ipvs [IPVSADM-ARGS]            exactly ipvsadm's verbs and flags (-A -E -D -C -a -e -d -Z -L -S -R,
 *                                       --set, --start-daemon, --stop-daemon, ...); no arguments = -L
 *   lvsd ipvs list [-n] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact] [-c]
 *                  [--timeout|--daemon] [-t|-u|-f SERVICE]     = ipvsadm -L ...
 *   lvsd ipvs save [-n]                 = ipvsadm -S (ipvsadm-save)
 *   lvsd ipvs restore [--noflush]       = ipvsadm-restore: flush, then the `ipvsadm -S` lines on stdin,
 *                                         checked first and sent as one batch (--noflush = ipvsadm -R)
 *   lvsd ipvs apply FILE [--dry-run] [--own-all] [--quiesce]
 *                                       make the kernel match FILE (ipvsadm -S format) by a minimal diff;
 *                                       prints the plan as ipvsadm lines
 * Exit status: 0 ok, 1 kernel or I/O failure, 2 usage error (ipvsadm's messages).
 */
import { readFile } from 'node:fs/promises';
import { isLvsdError } from '../../core/errors.js';
import { readConnections } from '../../ipvs/connections.io.js';
import {
  formatConnections,
  formatDaemons,
  formatListService,
  formatListChunks,
  formatSaveChunks,
  formatTimeouts,
} from '../../ipvs/format.js';
import type { NameResolver, formatList } from '../../ipvs/format.js';
import type { ArgResolver, IpvsadmCommand, ListRequest } from '../../ipvs/ipvsadm-args.js';
import { parseIpvsadmArgs } from '../../ipvs/ipvsadm-args.js';
import { opToArgs } from '../../ipvs/ipvsadm-op-args.js';
import { serviceId } from '../../ipvs/model.js';
import { loadNameResolver } from '../../ipvs/names.io.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from '../../ipvs/ops.js';
import { kernelMessage, parseRestore, restoreToTable } from '../../ipvs/restore.js';
import { formatCounts, partialError, syncTable } from '../../ipvs/sync.js';
import { summarizeOps } from '../../ipvs/reconcile.js';
import type { CliIo } from '../io.js';

export interface IpvsCliDeps {
  openKernel(): Promise<IpvsKernel>;
  readConnections(): Promise<string>;
  readFile(path: string): Promise<string>;
  resolver(): NameResolver & ArgResolver;
}

const defaultDeps: IpvsCliDeps = {
  openKernel: async () => {
    const { openKernelIpvs } = await import('../../ipvs/kernel.io.js');
    return openKernelIpvs();
  },
  readConnections: () => readConnections(),
  readFile: (p) => readFile(p, 'utf8'),
  resolver: () => loadNameResolver(),
};

const PROG = 'lvsd ipvs';

const usage = `Usage:
  ${PROG} [ipvsadm arguments]        the ipvsadm command line, e.g. -A -t 10.0.0.1:80 -s rr
  ${PROG} list [-n] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact] [-c]
                [--timeout|--daemon] [-t|-u|-f service]
  ${PROG} save [-n]                  the table as ipvsadm -S lines
  ${PROG} restore [--noflush]        ipvsadm-restore: read ipvsadm -S lines on stdin, apply them
  ${PROG} apply FILE [--dry-run] [--own-all] [--quiesce]
                                     make the kernel match FILE (ipvsadm -S format) by a minimal diff
ipvsadm commands: -A|-E|-D|-C|-R|-S|-a|-e|-d|-L|-l|-Z, --set tcp tcpfin udp,
  --start-daemon|--stop-daemon {master|backup}; options as in ipvsadm(8).
`;

function tryHelp(io: CliIo): number {
  io.stderr(`Try \`${PROG} -h' or '${PROG} --help' for more information.\n`);
  return 2;
}

export function run(argv: string[], io: CliIo): Promise<number> {
  return runIpvs(argv, io, defaultDeps);
}

export async function runIpvs(argv: string[], io: CliIo, deps: IpvsCliDeps): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return ipvsadm(['-L', ...rest], io, deps);
  if (sub === 'save') return ipvsadm(['-S', ...rest], io, deps);
  if (sub === 'restore') return restore(rest, io, deps);
  if (sub === 'apply') return apply(rest, io, deps);
  if (sub === 'help') return ipvsadm(['-h'], io, deps);
  if (sub !== undefined && !sub.startsWith('-')) {
    io.stderr(`${PROG}: unknown subcommand '${sub}'\n`);
    return tryHelp(io);
  }
  return ipvsadm(argv, io, deps);
}

async function withKernel(
  io: CliIo,
  deps: IpvsCliDeps,
  fn: (k: IpvsKernel) => Promise<number>,
): Promise<number> {
  let kernel: IpvsKernel;
  try {
    kernel = await deps.openKernel();
  } catch (e) {
    io.stderr(
      `Can't initialize ipvs: ${(e as Error).message}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n`,
    );
    return 1;
  }
  try {
    return await fn(kernel);
  } catch (e) {
    if (isLvsdError(e)) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    kernel.close();
  }
}

/** Print a failed batch: ipvsadm's wording, then lvsd's detail and what was applied. */
function reportFailure(io: CliIo, report: ApplyReport, total: number): number {
  const f = report.failed;
  if (!f) return 0;
  const errno = 'errno' in f.error ? String((f.error as { errno: unknown }).errno) : '';
  io.stderr(`${kernelMessage(f.op, errno)}\n`);
  if (total > 1) io.stderr(`${partialError(report).message}\n`);
  else if (f.error.message) io.stderr(`(${f.error.message})\n`);
  return 1;
}

async function ipvsadm(argv: string[], io: CliIo, deps: IpvsCliDeps): Promise<number> {
  const resolver = deps.resolver();
  const parsed = parseIpvsadmArgs(argv, resolver);
  if (!parsed.ok) {
    if (parsed.error.tryHelp) return tryHelp(io);
    io.stderr(`${parsed.error.message}\n`);
    return 2;
  }
  const cmd: IpvsadmCommand = parsed.value;
  if (cmd.cmd === 'help') {
    io.stdout(usage);
    return 0;
  }
  if (cmd.cmd === 'version') {
    io.stdout('lvsd ipvs: ipvsadm v1.31 compatible (netlink, IPVS v1.2.1)\n');
    return 0;
  }
  if (cmd.cmd === 'restore') return restore(['--noflush'], io, deps);
  if (cmd.cmd === 'list' && cmd.list.connections) {
    let text: string;
    try {
      text = await deps.readConnections();
    } catch (e) {
      io.stderr(`${(e as Error).message}\n`);
      return 1;
    }
    io.stdout(formatConnections(text, { ...listFmt(cmd.list), resolver }));
    return 0;
  }
  return withKernel(io, deps, async (kernel) => {
    switch (cmd.cmd) {
      case 'list':
        return list(cmd.list, kernel, io, resolver);
      case 'save':
        for (const text of formatSaveChunks(await kernel.dump({ stats: false }), {
          numeric: cmd.numeric,
          resolver,
        }))
          io.stdout(text);
        return 0;
      case 'op': {
        const report = await kernel.apply([cmd.op]);
        return reportFailure(io, report, 1);
      }
    }
  });
}

function listFmt(l: ListRequest): Parameters<typeof formatList>[2] & object {
  return {
    numeric: l.numeric,
    stats: l.stats,
    rate: l.rate,
    thresholds: l.thresholds,
    persistentConn: l.persistentConn,
    tunInfo: l.tunInfo,
    exact: l.exact,
    nosort: l.nosort,
  };
}

async function list(l: ListRequest, kernel: IpvsKernel, io: CliIo, resolver: NameResolver): Promise<number> {
  if (l.timeout) {
    io.stdout(formatTimeouts(await kernel.getTimeouts()));
    return 0;
  }
  if (l.daemon) {
    io.stdout(formatDaemons(await kernel.getDaemons()));
    return 0;
  }
  const fmt = { ...listFmt(l), resolver };
  // The counters are decoded only for the views that print them.
  const dumpOpts = { stats: l.stats || l.rate };
  if (l.service) {
    const id = serviceId(l.service);
    const s = (await kernel.dump(dumpOpts)).find((e) => serviceId(e.service.key) === id);
    if (!s) {
      io.stderr('No such service\n');
      return 1;
    }
    io.stdout(formatListService(s, fmt));
    return 0;
  }
  const [info, services] = await Promise.all([kernel.info(), kernel.dump(dumpOpts)]);
  for (const text of formatListChunks(info, services, fmt)) io.stdout(text);
  return 0;
}

async function restore(argv: string[], io: CliIo, deps: IpvsCliDeps): Promise<number> {
  const bad = argv.find((a) => a !== '--noflush');
  if (bad !== undefined) {
    io.stderr(`${PROG} restore: unknown option '${bad}'\n`);
    return tryHelp(io);
  }
  const parsed = parseRestore(await io.readStdin(), deps.resolver());
  if (!parsed.ok) {
    io.stderr(`${PROG} restore: line ${parsed.error.line}: ${parsed.error.message}\n`);
    return 2;
  }
  const ops: IpvsOp[] = argv.includes('--noflush') ? parsed.value : [{ op: 'flush' }, ...parsed.value];
  return withKernel(io, deps, async (kernel) => reportFailure(io, await kernel.apply(ops), ops.length));
}

async function apply(argv: string[], io: CliIo, deps: IpvsCliDeps): Promise<number> {
  const flags = new Set(['--dry-run', '--own-all', '--quiesce']);
  const files = argv.filter((a) => !flags.has(a));
  const unknown = files.find((a) => a.startsWith('-') && a !== '-');
  if (unknown !== undefined || files.length !== 1) {
    io.stderr(
      unknown !== undefined
        ? `${PROG} apply: unknown option '${unknown}'\n`
        : `${PROG} apply: exactly one FILE is needed ('-' for stdin)\n`,
    );
    return tryHelp(io);
  }
  const file = files[0]!;
  let text: string;
  try {
    text = file === '-' ? await io.readStdin() : await deps.readFile(file);
  } catch (e) {
    io.stderr(`${PROG} apply: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const desired = restoreToTable(text, deps.resolver());
  if (!desired.ok) {
    io.stderr(`${file}:${desired.error.line}: ${desired.error.message}\n`);
    return 2;
  }
  const dryRun = argv.includes('--dry-run');
  return withKernel(io, deps, async (kernel) => {
    // One plan, as ipvsadm -R: a batch that stops part way is reported, not retried. The plan is
    // printed before it is carried out.
    const printPlan = (plan: readonly IpvsOp[]): void => {
      for (const op of plan) io.stdout(`ipvsadm ${opToArgs(op).join(' ')}\n`);
      const counts = formatCounts(summarizeOps(plan));
      io.stdout(
        `# ${plan.length} operation${plan.length === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}${dryRun ? ', not applied (--dry-run)' : ''}\n`,
      );
    };
    const { attempts } = await syncTable(kernel, desired.value, {
      ...(argv.includes('--own-all') ? { owned: 'all' as const } : {}),
      removeReal: argv.includes('--quiesce') ? 'quiesce' : 'delete',
      dryRun,
      onPlan: printPlan,
    });
    const { plan, report } = attempts[0]!;
    return reportFailure(io, report, plan.length);
  });
}
