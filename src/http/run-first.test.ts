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
  const putBack = runFirst(emitter, 'request', 2, (a: string) => {
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
  emitter.on('stream', (n: number, ...rest: string[]) => calls.push(`app ${n} ${rest.join(' ')}`));
  runFirst(emitter, 'stream', 4, (n: number, ...rest: string[]) => {
    calls.push(`ours ${n} ${rest.join(' ')}`);
    return n !== 2;
  });
  emitter.on('stream', (n: number) => calls.push(`later ${n}`));
  emitter.emit('stream', 1, 'h', 'f', 'r');
  emitter.emit('stream', 2, 'h', 'f', 'r');
  // Four arguments reach every listener run through ours.
  assert.deepEqual(calls, ['ours 1 h f r', 'app 1 h f r', 'later 1', 'ours 2 h f r', 'later 2']);
});
