import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrafficMeter } from './traffic-meter.js';

function manualClock(startMs = 0) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

test('arrivalsPerSecond is the rate over the window, not diluted by a young meter', () => {
  const clock = manualClock();
  const meter = createTrafficMeter({ now: clock.now, rateWindowMs: 10_000, bucketWidthMs: 250 });
  for (let i = 0; i < 100; i++) {
    meter.recordArrival();
    clock.advance(10);
  }
  // 100 arrivals in 1 s.
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 100) < 1, String(meter.arrivalsPerSecond()));
  assert.equal(meter.totalArrivals, 100);
  assert.equal(meter.lastArrivalAtMs, 990);
});

test('arrivals older than the window stop counting', () => {
  const clock = manualClock();
  const meter = createTrafficMeter({ now: clock.now, rateWindowMs: 1000, bucketWidthMs: 250 });
  for (let i = 0; i < 50; i++) meter.recordArrival();
  clock.advance(5000);
  assert.equal(meter.arrivalsPerSecond(), 0);
  meter.recordArrival();
  assert.equal(meter.arrivalsPerSecond(), 1);
});

test('requests in flight are counted', () => {
  const meter = createTrafficMeter({ now: () => 7 });
  assert.equal(meter.recordArrival(), 7);
  meter.requestStarted();
  meter.requestStarted();
  assert.equal(meter.inFlight, 2);
  meter.requestFinished();
  assert.equal(meter.inFlight, 1);
  assert.equal(meter.totalArrivals, 1);
});

test('counted arrivals are dated when settled, and readers settle them first', () => {
  const clock = manualClock();
  const meter = createTrafficMeter({ now: clock.now, rateWindowMs: 1000, bucketWidthMs: 250 });
  meter.countArrival();
  meter.countArrival();
  clock.advance(100);
  meter.settle();
  assert.equal(meter.lastArrivalAtMs, 100);
  clock.advance(5000);
  // Settled into a bucket that has left the window.
  assert.equal(meter.arrivalsPerSecond(), 0);
  meter.countArrival();
  assert.equal(meter.totalArrivals, 3);
  clock.advance(40);
  // Not settled by a timer: the reader dates it now.
  assert.equal(meter.lastArrivalAtMs, 5140);
  assert.equal(meter.arrivalsPerSecond(), 1);
  meter.settle();
  assert.equal(meter.totalArrivals, 3);
});
