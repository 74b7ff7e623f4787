// SPDX-License-Identifier: Apache-2.0
/**
 * Tokens -> AST of keepalived.conf statements. Pure. A statement is a keyword and the words after it
 * on its line, optionally followed by a `{ ... }` block (the brace may open on the next line).
 * Unbalanced braces are syntax diagnostics; parsing always finishes with what it could read.
 */
import type { Diagnostics } from './diagnostics.js';
import type { Token } from './lexer.js';
import type { SourceLoc } from './model.js';

export interface AstNode {
  keyword: string;
  loc: SourceLoc;
  args: Token[];
  /** Present when the statement opened a block. */
  block?: AstNode[];
  /** Where the block's `{` was. */
  blockLoc?: SourceLoc;
}

/** keepalived's grammar nests 4 deep (virtual_server > real_server > HTTP_GET > url). */
const maxDepth = 64;

export function parseTokens(tokens: readonly Token[], diags: Diagnostics): AstNode[] {
  const p: { i: number; eofReported?: boolean } = { i: 0 };
  const nodes = parseBlock(tokens, p, diags, undefined, 0);
  return nodes;
}

/** Skip to the `}` matching an already consumed `{`, without recursion. */
function skipBlock(tokens: readonly Token[], p: { i: number; eofReported?: boolean }): void {
  let depth = 1;
  while (p.i < tokens.length && depth > 0) {
    const k = tokens[p.i]?.kind;
    if (k === 'open') depth++;
    else if (k === 'close') depth--;
    p.i++;
  }
}

function parseBlock(
  tokens: readonly Token[],
  p: { i: number; eofReported?: boolean },
  diags: Diagnostics,
  openedAt: { loc: SourceLoc; keyword: string } | undefined,
  depth: number,
): AstNode[] {
  const nodes: AstNode[] = [];
  if (openedAt && depth > maxDepth) {
    diags.syntax(openedAt.loc, `blocks nested more than ${maxDepth} deep`, openedAt.keyword);
    skipBlock(tokens, p);
    return nodes;
  }
  for (;;) {
    while (tokens[p.i]?.kind === 'eol') p.i++;
    const t = tokens[p.i];
    if (!t) {
      // Reported once, at the innermost open block, with how many are open.
      if (openedAt && !p.eofReported) {
        p.eofReported = true;
        diags.syntax(
          openedAt.loc,
          `block of \`${openedAt.keyword}\` opened here is never closed (missing '}')` +
            (depth > 1 ? `; ${depth} blocks are open at the end of the input` : ''),
          openedAt.keyword,
        );
      }
      return nodes;
    }
    if (t.kind === 'close') {
      p.i++;
      if (openedAt) return nodes;
      diags.syntax(t.loc, "unexpected '}' with no open block");
      continue;
    }
    if (t.kind === 'open') {
      p.i++;
      diags.syntax(t.loc, "'{' without a keyword before it");
      parseBlock(tokens, p, diags, { loc: t.loc, keyword: '{' }, depth + 1);
      continue;
    }
    p.i++;
    const node: AstNode = { keyword: t.text, loc: t.loc, args: [] };
    for (;;) {
      const a = tokens[p.i];
      if (!a || a.kind !== 'word') break;
      node.args.push(a);
      p.i++;
    }
    let next = tokens[p.i];
    if (next?.kind === 'eol') {
      // A brace alone on the following line belongs to this statement.
      let j = p.i;
      while (tokens[j]?.kind === 'eol') j++;
      if (tokens[j]?.kind === 'open') {
        p.i = j;
        next = tokens[j];
      }
    }
    if (next?.kind === 'open') {
      p.i++;
      node.blockLoc = next.loc;
      node.block = parseBlock(tokens, p, diags, { loc: next.loc, keyword: node.keyword }, depth + 1);
    }
    nodes.push(node);
  }
}
