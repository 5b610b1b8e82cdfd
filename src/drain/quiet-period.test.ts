import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideLameDuckWait, quietPeriodMsFor } from './quiet-period.js';

const policy = { quietFloorMs: 500, quietCeilingMs: 10_000, quietGaps: 10 };

describe('quietPeriodMsFor', () => {
  test('is the floor when there was no traffic', () => {
    assert.equal(quietPeriodMsFor(0, policy), 500);
    assert.equal(quietPeriodMsFor(Number.NaN, policy), 500);
  });
  test('is quietGaps mean gaps for slow traffic', () => {
    assert.equal(quietPeriodMsFor(5, policy), 2000);
  });
  test('never goes below the floor for fast traffic', () => {
    assert.equal(quietPeriodMsFor(300, policy), 500);
  });
  test('never goes above the ceiling for trickling traffic', () => {
    assert.equal(quietPeriodMsFor(0.1, policy), 10_000);
  });
});

describe('decideLameDuckWait', () => {
  const base = { startedAtMs: 1000, minWaitMs: 2000, maxWaitMs: 8000, quietPeriodMs: 500 };

  test('waits for the minimum even when nothing ever arrived', () => {
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: undefined, nowMs: 1000 }), {
      done: false,
      checkAtMs: 3000,
    });
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: undefined, nowMs: 3000 }), {
      done: true,
      reason: 'quiet',
    });
  });
  test('ends a quiet period after the last arrival once past the minimum', () => {
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: 2900, nowMs: 3000 }), {
      done: false,
      checkAtMs: 3400,
    });
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: 2900, nowMs: 3400 }), {
      done: true,
      reason: 'quiet',
    });
  });
  test('ends at the maximum while traffic keeps arriving', () => {
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: 8800, nowMs: 8800 }), {
      done: false,
      checkAtMs: 9000,
    });
    assert.deepEqual(decideLameDuckWait({ ...base, lastArrivalAtMs: 8999, nowMs: 9000 }), {
      done: true,
      reason: 'max-wait',
    });
  });
  test('reports the maximum when quiet and maximum fall together', () => {
    const state = { ...base, minWaitMs: 8000, lastArrivalAtMs: undefined, nowMs: 9000 };
    assert.deepEqual(decideLameDuckWait(state), { done: true, reason: 'max-wait' });
  });
});
