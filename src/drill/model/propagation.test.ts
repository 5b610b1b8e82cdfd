import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPropagationQueue, defaultPropagation, parsePropagation } from './propagation.js';
import { createRandom } from './random.js';

test('endpoint changes reach the proxy within the range, never before an earlier change', () => {
  const queue = createPropagationQueue({ minMs: 100, maxMs: 1100 }, createRandom(3));
  let previous = Number.NEGATIVE_INFINITY;
  const delays: number[] = [];
  for (let changedAtMs = 0; changedAtMs < 20_000; changedAtMs += 50) {
    const deliveryAtMs = queue.deliveryAtMs(changedAtMs);
    assert.ok(deliveryAtMs >= changedAtMs + 100, `${deliveryAtMs} for ${changedAtMs}`);
    assert.ok(deliveryAtMs >= previous, 'a change overtook the one before');
    previous = deliveryAtMs;
    delays.push(deliveryAtMs - changedAtMs);
  }
  // Changes 1 s apart are independent draws: each within the range, and they differ.
  const spaced = createPropagationQueue({ minMs: 100, maxMs: 1100 }, createRandom(3));
  const drawn = [0, 2000, 4000, 6000, 8000].map((t) => spaced.deliveryAtMs(t) - t);
  assert.ok(
    drawn.every((d) => d >= 100 && d <= 1100),
    JSON.stringify(drawn),
  );
  assert.ok(new Set(drawn).size > 1, 'delays are drawn, not fixed');
  // The same seed draws the same delays.
  const again = createPropagationQueue({ minMs: 100, maxMs: 1100 }, createRandom(3));
  assert.deepEqual(
    [0, 2000, 4000, 6000, 8000].map((t) => again.deliveryAtMs(t) - t),
    drawn,
  );
});

test('--propagation-ms takes MS or MIN-MAX', () => {
  assert.deepEqual(parsePropagation('250'), { ok: true, value: { minMs: 250, maxMs: 250 } });
  assert.deepEqual(parsePropagation('100-1100'), { ok: true, value: defaultPropagation });
  for (const bad of ['', '-5', '10-5', '1e3', 'fast', '1.5']) {
    assert.equal(parsePropagation(bad).ok, false, bad);
  }
});
