// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's top-level `garp_group { garp_interval S; gna_interval S; interface IF;
 * interfaces { IF ... } }`: the interfaces of one group share one pacing of gratuitous ARPs (and
 * one of unsolicited NAs), for a switch that cannot take a burst. As in keepalived, an interface
 * belongs to one group at most, and a group needs at least one interval and one interface. Pure.
 */
import type { GarpGroup, SourceLoc } from '../model.js';
import type { AstNode } from '../parser.js';
import {
  type Ctx,
  type KeywordTable,
  blockLines,
  noNestedBlock,
  secondsArg,
  set,
  wordArg,
} from '../values.js';

export interface GarpGroupDraft {
  garpIntervalMs?: number;
  gnaIntervalMs?: number;
  interfaces: Array<{ name: string; loc: SourceLoc }>;
  loc: SourceLoc;
}

export const garpGroupKeywords: KeywordTable<GarpGroupDraft> = {
  garp_interval: { run: (c, n, g) => set(g, 'garpIntervalMs', secondsArg(c, n, 0, 86400)) },
  gna_interval: { run: (c, n, g) => set(g, 'gnaIntervalMs', secondsArg(c, n, 0, 86400)) },
  interface: {
    run: (c, n, g) => {
      const name = wordArg(c, n, 'an interface name');
      if (name !== undefined) g.interfaces.push({ name, loc: n.loc });
    },
  },
  interfaces: {
    block: true,
    run: (c, n, g) => {
      for (const { words, node: child } of blockLines(n)) {
        if (!noNestedBlock(c, child, 'interfaces')) continue;
        for (const w of words) g.interfaces.push({ name: w.text, loc: w.loc });
      }
    },
  },
};

export function newGarpGroupDraft(node: AstNode): GarpGroupDraft {
  return { interfaces: [], loc: node.loc };
}

/** The groups, each checked; an interface named by an earlier group is an error. */
export function finalizeGarpGroups(ctx: Ctx, drafts: readonly GarpGroupDraft[]): GarpGroup[] {
  const owner = new Map<string, SourceLoc>();
  const out: GarpGroup[] = [];
  for (const d of drafts) {
    const g: GarpGroup = { interfaces: [], loc: d.loc };
    set(g, 'garpIntervalMs', d.garpIntervalMs);
    set(g, 'gnaIntervalMs', d.gnaIntervalMs);
    if (g.garpIntervalMs === undefined && g.gnaIntervalMs === undefined)
      ctx.diags.error(d.loc, '`garp_group` needs `garp_interval` and/or `gna_interval`', 'garp_group');
    for (const i of d.interfaces) {
      const first = owner.get(i.name);
      if (first) {
        ctx.diags.error(
          i.loc,
          `\`garp_group\`: interface ${i.name} is already in the garp_group at ${first.file}:${first.line}:${first.col}`,
          'garp_group',
        );
        continue;
      }
      owner.set(i.name, d.loc);
      g.interfaces.push(i.name);
    }
    if (d.interfaces.length === 0)
      ctx.diags.error(d.loc, '`garp_group` needs `interface IF` or `interfaces { IF ... }`', 'garp_group');
    out.push(g);
  }
  return out;
}
