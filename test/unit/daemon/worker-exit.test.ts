// SPDX-License-Identifier: Apache-2.0
// A worker's exit is handled once its last IPC messages are in (worker-ipc.ts `afterLastMessage`):
// at 'close' (the channel read to its end), or after a bound when 'close' never comes.
import { EventEmitter } from 'node:events';
import test from 'ava';
import { afterLastMessage } from '../../../src/daemon/worker-ipc.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('handled at the channel’s close, once, not before it', async (t) => {
  const child = new EventEmitter();
  let handled = 0;
  afterLastMessage(child, () => handled++, 200);
  await tick(20);
  t.is(handled, 0, 'the exit alone is not enough');
  child.emit('close');
  t.is(handled, 1);
  await tick(300);
  t.is(handled, 1, 'the bound does not handle it again');
});

test('handled after the bound when the channel never closes, and not again at a late close', async (t) => {
  const child = new EventEmitter();
  let handled = 0;
  afterLastMessage(child, () => handled++, 50);
  await tick(20);
  t.is(handled, 0);
  await tick(80);
  t.is(handled, 1);
  child.emit('close');
  t.is(handled, 1);
});
