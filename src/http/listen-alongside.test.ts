import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { listenAlongside } from './listen-alongside.js';

test('listenAlongside listens first while the application listens, and only then', () => {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  const early = () => calls.push('early');
  emitter.on('upgrade', early);
  const stop = listenAlongside(emitter, {
    upgrade: () => calls.push('ours: upgrade'),
    checkContinue: () => calls.push('ours: checkContinue'),
  });
  // Present before: ours goes first. Absent: Node must keep answering by itself.
  assert.equal(emitter.listenerCount('checkContinue'), 0);
  emitter.emit('upgrade');
  assert.deepEqual(calls, ['ours: upgrade', 'early']);

  // Added later: ours comes along, first; removed: ours goes with the last one.
  const late = () => calls.push('late');
  emitter.on('checkContinue', late);
  emitter.emit('checkContinue');
  assert.deepEqual(calls.slice(2), ['ours: checkContinue', 'late']);
  emitter.off('checkContinue', late);
  assert.equal(emitter.listenerCount('checkContinue'), 0);
  emitter.removeAllListeners('upgrade');
  assert.equal(emitter.listenerCount('upgrade'), 0);

  // Stopped: ours are off and stay off.
  emitter.on('upgrade', early);
  assert.equal(emitter.listenerCount('upgrade'), 2);
  stop();
  assert.equal(emitter.listenerCount('upgrade'), 1);
  emitter.on('checkContinue', late);
  assert.equal(emitter.listenerCount('checkContinue'), 1);
  assert.equal(emitter.listenerCount('newListener') + emitter.listenerCount('removeListener'), 0);
});
