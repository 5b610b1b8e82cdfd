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

test('counted arrivals are spread over the time since the previous settle, dated at the settle', () => {
  const clock = manualClock();
  const meter = createTrafficMeter({ now: clock.now, rateWindowMs: 1000, bucketWidthMs: 250 });
  for (let i = 0; i < 10; i++) meter.countArrival();
  clock.advance(500);
  meter.settle();
  assert.equal(meter.lastArrivalAtMs, 500);
  assert.equal(meter.totalArrivals, 10);
  // Ten arrivals over the 500 ms the meter has lived: 20 per second.
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 20) < 1e-9, String(meter.arrivalsPerSecond()));
  // Ten more over the next 2000 ms. The window is the last four buckets, the newest just begun,
  // so (1750, 2500]: 750 ms of the 2000, 3.75 arrivals.
  for (let i = 0; i < 10; i++) meter.countArrival();
  clock.advance(2000);
  meter.settle();
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 3.75) < 1e-9, String(meter.arrivalsPerSecond()));
  assert.equal(meter.totalArrivals, 20);
  // A settle with nothing counted moves the start of the next span: these 4 came in the last 250 ms.
  clock.advance(750);
  meter.settle();
  for (let i = 0; i < 4; i++) meter.countArrival();
  clock.advance(250);
  meter.settle();
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 4) < 1e-9, String(meter.arrivalsPerSecond()));
  assert.equal(meter.lastArrivalAtMs, 3500);
});

test('readers settle what was counted first', () => {
  const clock = manualClock();
  const meter = createTrafficMeter({ now: clock.now, rateWindowMs: 1000, bucketWidthMs: 250 });
  clock.advance(5000);
  meter.settle();
  meter.countArrival();
  assert.equal(meter.totalArrivals, 1);
  clock.advance(40);
  // Not settled by a timer: the reader dates it now.
  assert.equal(meter.lastArrivalAtMs, 5040);
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 1) < 1e-9, String(meter.arrivalsPerSecond()));
  meter.recordArrival();
  assert.equal(meter.totalArrivals, 2);
  assert.ok(Math.abs(meter.arrivalsPerSecond() - 2) < 1e-9, String(meter.arrivalsPerSecond()));
});
