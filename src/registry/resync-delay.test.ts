import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { resyncDelayMs, resyncJitter } from './resync-delay.js';

test('resync waits stay within ±20 % of the interval', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3_600_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (intervalMs, draw) => {
        const delayMs = resyncDelayMs(intervalMs, () => draw);
        assert.ok(delayMs >= Math.floor(intervalMs * (1 - resyncJitter)), `${delayMs}`);
        assert.ok(delayMs <= Math.ceil(intervalMs * (1 + resyncJitter)), `${delayMs}`);
      },
    ),
  );
});

test('a thousand callers started together spread their resyncs over 12 s of a 30 s interval', () => {
  // A seeded generator stands in for Math.random, so the figures are the same every run.
  let seed = 1;
  const random = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const delays = Array.from({ length: 1000 }, () => resyncDelayMs(30_000, random));
  const spreadMs = Math.max(...delays) - Math.min(...delays);
  assert.ok(spreadMs > 11_000, `spread ${spreadMs} ms`);
  // No second of the spread gets more than a few times its fair share (1000 / 12 per second).
  const perSecond = new Map<number, number>();
  for (const d of delays)
    perSecond.set(Math.floor(d / 1000), (perSecond.get(Math.floor(d / 1000)) ?? 0) + 1);
  assert.ok(Math.max(...perSecond.values()) < 200, JSON.stringify([...perSecond]));
});
