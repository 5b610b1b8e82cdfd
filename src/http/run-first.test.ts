import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { runFirst } from './run-first.js';

test('ours runs ahead of the listeners already there, as one listener, with their this and arguments', () => {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  emitter.on('request', function (this: unknown, a: string, b: string) {
    calls.push(`app ${a} ${b} ${this === emitter}`);
  });
  emitter.once('request', (a: string) => calls.push(`once ${a}`));
  const putBack = runFirst(emitter, 'request', (a: string) => {
    calls.push(`ours ${a}`);
  });
  assert.equal(emitter.listenerCount('request'), 1);
  emitter.emit('request', 'x', 'y');
  emitter.emit('request', 'z', 'w');
  // The `once` listener fired once, though it is called through ours.
  assert.deepEqual(calls, ['ours x', 'app x y true', 'once x', 'ours z', 'app z w true']);

  putBack();
  calls.length = 0;
  emitter.emit('request', 'v', 'u');
  assert.deepEqual(calls, ['app v u true']);
  assert.equal(emitter.listenerCount('request'), 2);
});

test('ours returning false stops the event before the others; listeners added later run after', () => {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  emitter.on('stream', (n: number) => calls.push(`app ${n}`));
  runFirst(emitter, 'stream', (n: number) => {
    calls.push(`ours ${n}`);
    return n !== 2;
  });
  emitter.on('stream', (n: number) => calls.push(`later ${n}`));
  emitter.emit('stream', 1);
  emitter.emit('stream', 2);
  assert.deepEqual(calls, ['ours 1', 'app 1', 'later 1', 'ours 2', 'later 2']);
});
