// SPDX-License-Identifier: Apache-2.0
/**
 * A large text handed out in pieces as it is made, never held whole: `lvsd ipvs -L`'s listing
 * (ipvs/format.ts) and the validating child's model.json (cli/commands/check-config.ts), each
 * written piece by piece. Pure.
 */

/**
 * `texts`, each followed by `end`, joined into pieces of at least `size` characters (the last may
 * be shorter), handed out as each is reached.
 */
export function* joinedInPieces(texts: Iterable<string>, size: number, end = ''): Generator<string> {
  let out = '';
  for (const text of texts) {
    out += text + end;
    if (out.length >= size) {
      yield out;
      out = '';
    }
  }
  if (out.length > 0) yield out;
}

/** A file's lines (each ended by a newline) in ~1 MB writes: a 60 MB model.json is never one string. */
export function linesInMegabytes(lines: Iterable<string>): Generator<string> {
  return joinedInPieces(lines, 1 << 20, '\n');
}
