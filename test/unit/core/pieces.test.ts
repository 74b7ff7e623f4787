// SPDX-License-Identifier: Apache-2.0
// A large text in pieces (core/pieces.ts): the pieces joined are the text, each of at least the
// size asked for but the last, and none is made before it is asked for.
import test from 'ava';
import fc from 'fast-check';
import { joinedInPieces, linesInMegabytes } from '../../../src/core/pieces.js';

test('joined, the pieces are the texts each followed by the end; each but the last reaches the size', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 40 }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 100 }),
      (texts, size) => {
        const pieces = [...joinedInPieces(texts, size, '\n')];
        t.is(pieces.join(''), texts.map((x) => x + '\n').join(''));
        return pieces.slice(0, -1).every((p) => p.length >= size) && pieces.every((p) => p.length > 0);
      },
    ),
  );
});

test('handed out as each is reached: the texts after a piece are not read before it is taken', (t) => {
  let read = 0;
  function* texts(): Generator<string> {
    for (let i = 0; i < 10; i++) {
      read++;
      yield 'x'.repeat(10);
    }
  }
  const pieces = joinedInPieces(texts(), 25);
  t.is(pieces.next().value, 'x'.repeat(30));
  t.is(read, 3);
});

test("a model file's lines in ~1 MB writes: the file's text, each line ended", (t) => {
  const lines = Array.from({ length: 30_000 }, (_, i) => `{"line":${i},"pad":"${'p'.repeat(60)}"}`);
  const pieces = [...linesInMegabytes(lines)];
  t.is(pieces.join(''), lines.join('\n') + '\n');
  t.true(
    pieces.length > 1 && pieces.slice(0, -1).every((p) => p.length >= 1 << 20 && p.length < (1 << 20) + 100),
  );
});
