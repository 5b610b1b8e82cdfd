import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { Clock } from './clock.js';
import { waitForQuiet } from './lame-duck-wait.js';

test('the nudge comes at the minimum even when timers fire a little early', async () => {
  // libuv counts whole milliseconds: a timer can fire up to 1 ms before it is due.
  const fake = createFakeClock(0);
  const earlyClock: Clock = {
    ...fake,
    setTimeout: (fn, ms) => fake.setTimeout(fn, Math.max(1, ms - 1)),
  };
  const source = {
    inFlight: 0,
    totalArrivals: 0,
    lastArrivalAtMs: 0,
    arrivalsPerSecond: () => 100,
  };
  let nudgedAtMs: number | undefined;
  const waiting = waitForQuiet({
    clock: earlyClock,
    startedAtMs: 0,
    minWaitMs: 500,
    maxWaitMs: 5000,
    quietFloorMs: 500,
    quietGaps: 10,
    sources: [source],
    signal: new AbortController().signal,
    onStarted: () => {},
    onMinimumPassed: () => {
      nudgedAtMs = fake.now();
    },
  });
  // Traffic keeps arriving every 100 ms until 1000 ms.
  for (let t = 0; t < 1000; t += 100) {
    source.lastArrivalAtMs = fake.now();
    fake.advance(100);
  }
  fake.advance(600);
  const result = await waiting;
  assert.ok(nudgedAtMs !== undefined && nudgedAtMs <= 502, `nudged at ${nudgedAtMs} ms`);
  assert.equal(result.reason, 'quiet');
});
