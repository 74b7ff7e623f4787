// SPDX-License-Identifier: Apache-2.0
/**
 * `vrrp_track_process NAME { ... }` and the `track_process { NAME [weight N [reverse|noreverse]] }`
 * lists of instances and sync groups: keyword table, draft, and the finished TrackProcess with
 * keepalived's defaults (quorum 1, quorum_max unlimited, no delays, weight 0). Pure.
 * keepalived: vrrp_parser.c (vrrp_tprocess_*), vrrp_track.c (alloc_track_process).
 * Also the checks that need the whole configuration: every `track_process` names a
 * vrrp_track_process, and a sync-group member's entries carry no weight (as checks-vrrp.ts does
 * for the other trackers: keepalived needs `sync_group_tracking_weight`, which lvsd lacks).
 */
import type { ProcessTrackRef, SourceLoc, SyncGroup, TrackProcess, VrrpInstanceConfig } from '../model.js';
import type { AstNode } from '../parser.js';
import {
  type Ctx,
  type KeywordTable,
  arg,
  blockLines,
  flag,
  intArg,
  intValue,
  noExtra,
  noNestedBlock,
  secondsArg,
  set,
} from '../values.js';

/** keepalived's weight range for tracked processes (wider than a vrrp_script's). */
const WEIGHT = 254;
/** The kernel keeps a process name (comm) in 16 bytes with its NUL. */
export const COMM_MAX_BYTES = 15;

export interface TrackProcessDraft {
  name: string;
  loc: SourceLoc;
  present: ReadonlySet<string>;
  process?: { name: string; params: string[]; loc: SourceLoc };
  paramMatch?: 'exact' | 'partial' | 'initial';
  fullCommand: boolean;
  weight: number;
  weightReverse: boolean;
  quorum?: { value: number; loc: SourceLoc };
  quorumMax?: { value: number; loc: SourceLoc };
  forkDelayMs: number;
  terminateDelayMs: number;
}

export function newTrackProcessDraft(
  name: string,
  loc: SourceLoc,
  present: ReadonlySet<string>,
): TrackProcessDraft {
  return {
    name,
    loc,
    present,
    fullCommand: false,
    weight: 0,
    weightReverse: false,
    forkDelayMs: 0,
    terminateDelayMs: 0,
  };
}

/** A delay in seconds (keepalived: 0.000001..3600); a written delay is at least 1 ms. */
function delayArg(ctx: Ctx, node: AstNode): number | undefined {
  const ms = secondsArg(ctx, node, 0.000001, 3600);
  return ms === undefined ? undefined : Math.max(1, ms);
}

export const trackProcessKeywords: KeywordTable<TrackProcessDraft> = {
  process: {
    run: (c, n, t) => {
      const first = arg(c, n, 0, 'a process name');
      if (!first) return;
      if (t.process) {
        c.diags.error(n.loc, `vrrp_track_process \`${t.name}\`: \`process\` is already set`, 'process');
        return;
      }
      const params = n.args.slice(1).map((a) => a.text);
      t.process = { name: first.text, params, loc: first.loc };
      if (params.length > 0) t.paramMatch ??= 'exact';
    },
  },
  param_match: {
    run: (c, n, t) => {
      noExtra(c, n, 1);
      const w = n.args[0];
      if (!w) t.paramMatch = 'exact';
      else if (w.text === 'initial' || w.text === 'partial') t.paramMatch = w.text;
      else
        c.diags.error(
          w.loc,
          `\`param_match\` takes no value, initial or partial (got ${w.text})`,
          'param_match',
        );
    },
  },
  weight: {
    run: (c, n, t) => {
      const w = arg(c, n, 0, `a weight in -${WEIGHT}..${WEIGHT}`);
      if (!w) return;
      const more = n.args[1];
      if (more && more.text !== 'reverse')
        c.diags.error(more.loc, `\`weight\` takes \`reverse\` after the value (got ${more.text})`, 'weight');
      noExtra(c, n, 2);
      set(t, 'weight', intValue(c, 'weight', w, -WEIGHT, WEIGHT, 'a weight'));
      t.weightReverse = more?.text === 'reverse';
    },
  },
  quorum: {
    run: (c, n, t) => {
      const v = intArg(c, n, 1, 65535);
      if (v !== undefined) t.quorum = { value: v, loc: n.loc };
    },
  },
  quorum_max: {
    run: (c, n, t) => {
      const v = intArg(c, n, 0, 65535);
      if (v !== undefined) t.quorumMax = { value: v, loc: n.loc };
    },
  },
  delay: {
    run: (c, n, t) => {
      const ms = delayArg(c, n);
      if (ms !== undefined) t.forkDelayMs = t.terminateDelayMs = ms;
    },
  },
  fork_delay: { run: (c, n, t) => set(t, 'forkDelayMs', delayArg(c, n)) },
  terminate_delay: { run: (c, n, t) => set(t, 'terminateDelayMs', delayArg(c, n)) },
  full_command: { run: (c, n, t) => (t.fullCommand = flag(c, n)) },
};

/** The finished vrrp_track_process, or undefined (reported) when it cannot be used. */
export function finalizeTrackProcess(ctx: Ctx, t: TrackProcessDraft): TrackProcess | undefined {
  const where = `vrrp_track_process \`${t.name}\``;
  if (!t.process) {
    if (!t.present.has('process')) ctx.diags.error(t.loc, `${where} needs \`process\``, 'vrrp_track_process');
    return undefined;
  }
  const fullCommand = t.fullCommand || t.paramMatch !== undefined;
  let quorum = t.quorum?.value ?? 1;
  const quorumMax = t.quorumMax?.value;
  if (quorumMax === 0 && quorum <= 1)
    quorum = 0; // "no such process may run" (keepalived allows quorum 1 here)
  else if (quorumMax !== undefined && quorum > quorumMax) {
    ctx.diags.error(
      t.quorumMax?.loc ?? t.loc,
      `${where}: \`quorum_max\` ${quorumMax} is less than \`quorum\` ${quorum}`,
      'quorum_max',
    );
    return undefined;
  }
  if (!fullCommand && new TextEncoder().encode(t.process.name).length > COMM_MAX_BYTES) {
    ctx.diags.warning(
      t.process.loc,
      `${where}: \`${t.process.name}\` is longer than a process name can be (${COMM_MAX_BYTES} bytes), so it never matches; add \`full_command\` to match the command's first word`,
      'process',
    );
  }
  const out: TrackProcess = {
    name: t.name,
    process: t.process.name,
    params: t.process.params,
    fullCommand,
    weight: t.weight,
    weightReverse: t.weightReverse,
    quorum,
    forkDelayMs: t.forkDelayMs,
    terminateDelayMs: t.terminateDelayMs,
    loc: t.loc,
  };
  if (t.paramMatch) out.paramMatch = t.paramMatch;
  if (quorumMax !== undefined) out.quorumMax = quorumMax;
  return out;
}

/** `track_process { NAME [weight N [reverse|noreverse]] ... }` of an instance or sync group. */
export function processTrackList(ctx: Ctx, node: AstNode): ProcessTrackRef[] {
  const out: ProcessTrackRef[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const [name, kw, value, rev, extra] = words;
    if (!name) continue;
    const ref: ProcessTrackRef = { name: name.text, loc: name.loc };
    if (kw && kw.text !== 'weight') {
      ctx.diags.error(
        kw.loc,
        `\`track_process\`: expected \`weight N [reverse|noreverse]\` after ${name.text} (got ${kw.text})`,
        'track_process',
      );
      continue;
    }
    if (kw && !value) {
      ctx.diags.error(
        kw.loc,
        `\`track_process\`: \`weight\` needs a value in -${WEIGHT}..${WEIGHT}`,
        'track_process',
      );
      continue;
    }
    if (value) set(ref, 'weight', intValue(ctx, 'track_process weight', value, -WEIGHT, WEIGHT, 'a weight'));
    if (rev?.text === 'reverse' || rev?.text === 'noreverse') ref.reverse = rev.text === 'reverse';
    else if (rev)
      ctx.diags.error(
        rev.loc,
        `\`track_process\`: expected reverse or noreverse after the weight (got ${rev.text})`,
        'track_process',
      );
    if (extra)
      ctx.diags.error(
        extra.loc,
        `unexpected \`${extra.text}\` after \`track_process\` ${name.text}`,
        'track_process',
      );
    const prev = out.find((r) => r.name === ref.name);
    if (prev) {
      ctx.diags.warning(
        name.loc,
        `\`track_process\`: ${name.text} is already tracked here; ignored`,
        'track_process',
      );
      continue;
    }
    out.push(ref);
  }
  return out;
}

/**
 * Every `track_process` names a vrrp_track_process; a sync-group member's own entries are set to
 * weight 0 (warned when the weight they would have is not 0).
 */
export function checkProcessRefs(
  ctx: Ctx,
  instances: readonly VrrpInstanceConfig[],
  groups: readonly SyncGroup[],
  processes: readonly TrackProcess[],
): void {
  const byName = new Map(processes.map((p) => [p.name, p]));
  for (const owner of [...instances, ...groups]) {
    for (const r of owner.trackProcesses) {
      if (!byName.has(r.name))
        ctx.diags.error(
          r.loc,
          `\`track_process\`: no vrrp_track_process named \`${r.name}\``,
          'track_process',
        );
    }
  }
  for (const inst of instances) {
    if (inst.syncGroup === undefined) continue;
    for (const r of inst.trackProcesses) {
      const w = r.weight ?? byName.get(r.name)?.weight ?? 0;
      if (w === 0) continue;
      ctx.diags.warning(
        r.loc,
        `vrrp_instance \`${inst.name}\` is in vrrp_sync_group \`${inst.syncGroup}\`: \`track_process\` ${r.name} weight ${w} is ignored (set to 0)`,
        'track_process',
      );
      r.weight = 0;
    }
  }
}
