import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { LameduckError } from '../errors/lameduck-error.js';
import { createBudget } from './budget.js';
import { transition } from './phase.js';

test('the budget aborts at its deadline with deadline_exceeded', () => {
  const clock = createFakeClock(500);
  const budget = createBudget(2000, clock);
  assert.equal(budget.deadlineAtMs, 2500);
  clock.advance(1500);
  assert.equal(budget.remainingMs(), 500);
  assert.equal(budget.signal.aborted, false);
  clock.advance(500);
  assert.equal(budget.signal.aborted, true);
  assert.equal((budget.signal.reason as LameduckError).code, 'deadline_exceeded');
  assert.equal(budget.remainingMs(), 0);
});

test('dispose() clears the deadline timer', () => {
  const clock = createFakeClock();
  const budget = createBudget(2000, clock);
  budget.dispose();
  budget.dispose();
  assert.equal(clock.pendingTimers(), 0);
  clock.advance(5000);
  assert.equal(budget.signal.aborted, false);
});

test('transition() throws on an illegal move and names both phases', () => {
  assert.throws(
    () =>
      transition(
        { kind: 'serving', startedAtMs: 0 },
        { kind: 'stopped', startedAtMs: 1, exitCode: 0 },
      ),
    /\[invalid_state\] lifecycle: cannot move from serving to stopped/,
  );
  const next = transition(
    { kind: 'serving', startedAtMs: 0 },
    { kind: 'lame-duck', startedAtMs: 1, trigger: 'api' },
  );
  assert.equal(next.kind, 'lame-duck');
});
