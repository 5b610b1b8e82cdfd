import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import {
  createRefusalLog,
  maxCountedAddresses,
  type RefusalEvent,
  refusalLogDefaults,
} from './refusal-log.js';

function setup() {
  const clock = createFakeClock();
  const events: RefusalEvent[] = [];
  const log = createRefusalLog({
    report: (event) => events.push(event),
    schedule: (fn, delayMs) => {
      const handle = clock.setTimeout(fn, delayMs);
      return () => clock.clearTimeout(handle);
    },
  });
  return { clock, events, log };
}

test('the defaults are the documented ones; the default timer does not hold the process open', () => {
  assert.equal(refusalLogDefaults.intervalMs, 10_000);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const cancel = refusalLogDefaults.schedule(() => {}, 10_000);
  assert.equal(timers(), before);
  cancel();
});

test('the first refusal is reported at once, the rest as one count per interval', () => {
  const { clock, events, log } = setup();
  log.refused('10.0.0.1');
  assert.deepEqual(events, [{ type: 'prestop-refused', remoteAddress: '10.0.0.1' }]);
  for (let i = 0; i < 20_000; i++) log.refused(i % 3 === 0 ? '10.0.0.2' : '10.0.0.1');
  clock.advance(9_999);
  assert.equal(events.length, 1, 'nothing before the interval ends');
  clock.advance(1);
  assert.deepEqual(events[1], {
    type: 'prestop-refusals-counted',
    refusedCount: 20_000,
    addressCount: 2,
    intervalMs: 10_000,
  });
  // Refusals keep coming: one count per interval.
  log.refused('10.0.0.3');
  clock.advance(10_000);
  assert.deepEqual(events[2], {
    type: 'prestop-refusals-counted',
    refusedCount: 1,
    addressCount: 1,
    intervalMs: 10_000,
  });
  // A quiet interval ends the counting: the next refusal is reported at once again.
  clock.advance(10_000);
  assert.equal(events.length, 3);
  assert.equal(clock.pendingTimers(), 0);
  log.refused('10.0.0.4');
  assert.deepEqual(events[3], { type: 'prestop-refused', remoteAddress: '10.0.0.4' });
});

test('close() reports what is counted and cancels the timer; it is idempotent and final', () => {
  const { clock, events, log } = setup();
  log.refused('10.0.0.1');
  log.refused('10.0.0.1');
  log.close();
  log.close();
  log.refused('10.0.0.1');
  assert.equal(clock.pendingTimers(), 0);
  assert.deepEqual(events.at(-1), {
    type: 'prestop-refusals-counted',
    refusedCount: 1,
    addressCount: 1,
    intervalMs: 10_000,
  });
  assert.equal(events.length, 2);
});

test('distinct addresses are remembered up to a bound; refusals are all counted', () => {
  const { clock, events, log } = setup();
  log.refused('first');
  for (let i = 0; i < maxCountedAddresses + 500; i++) log.refused(`fd00::${i.toString(16)}`);
  clock.advance(10_000);
  assert.deepEqual(events[1], {
    type: 'prestop-refusals-counted',
    refusedCount: maxCountedAddresses + 500,
    addressCount: maxCountedAddresses,
    intervalMs: 10_000,
  });
});
