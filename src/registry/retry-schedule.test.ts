import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRetrySchedule, type RetryDecision } from './retry-schedule.js';

function schedule() {
  let nowMs = 0;
  const retry = createRetrySchedule({
    initialDelayMs: 250,
    maxDelayMs: 5000,
    now: () => nowMs,
    random: () => 0.5, // no jitter: the middle of ±20 %
  });
  return { retry, advance: (ms: number) => (nowMs += ms) };
}
const failure = (reason: string | undefined) => ({
  attempt: "register 'echo' in etcd",
  reason,
  meanwhile: '/readyz stays 503',
});

test('the pause doubles from the first delay to the cap, jittered ±20 %', () => {
  const { retry } = schedule();
  const delays = Array.from({ length: 7 }, () => retry.failed(failure('refused')).delayMs);
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 5000, 5000]);
  const low = createRetrySchedule({ initialDelayMs: 1000, maxDelayMs: 1000, random: () => 0 });
  assert.equal(low.failed(failure('x')).delayMs, 800);
});

test('an unreachable etcd is reported once with its reason, then counted once per interval', () => {
  // Issue 15, item 7: 11 warnings in 2.6 s before, alternating with "circuit breaker is open".
  const { retry, advance } = schedule();
  const decisions: RetryDecision[] = [];
  for (let attempt = 0; attempt < 40; attempt += 1) {
    // Every other failure is the breaker's echo: it keeps the real reason.
    const decision = retry.failed(failure(attempt % 2 === 0 ? 'connect ECONNREFUSED' : undefined));
    decisions.push(decision);
    advance(decision.delayMs);
  }
  const warnings = decisions.filter((d) => d.level === 'warn');
  assert.equal(
    warnings[0]?.message,
    "cannot register 'echo' in etcd (connect ECONNREFUSED): /readyz stays 503; retrying with backoff, at least every 5000 ms, and counting failures here every 30 s",
  );
  // 40 attempts over about 3 minutes: the first, then one per 30 s.
  assert.ok(warnings.length <= 8, `${warnings.length} warnings`);
  assert.match(
    warnings[1]?.message ?? '',
    /^still cannot register 'echo' in etcd after \d+ attempts over 3\d s \(connect ECONNREFUSED\): \/readyz stays 503; check that the etcd endpoints are reachable/,
  );
  assert.ok(decisions.every((d) => !d.message.includes('circuit breaker')));
});

test('success ends the run, says how long it failed, and resets the backoff', () => {
  const { retry, advance } = schedule();
  assert.equal(retry.succeeded(), undefined);
  retry.failed(failure('timeout'));
  advance(250);
  retry.failed(failure('timeout'));
  advance(1250);
  assert.deepEqual(retry.succeeded(), {
    failedAttempts: 2,
    failingForMs: 1500,
    text: ', after 2 failed attempts over 2 s',
  });
  const again = retry.failed(failure('again'));
  assert.equal(again.delayMs, 250);
  assert.equal(again.level, 'warn');
});
