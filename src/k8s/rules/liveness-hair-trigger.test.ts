import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { livenessHairTriggerRule, restartAfterStallSeconds } from './liveness-hair-trigger.js';

const rules = [livenessHairTriggerRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

/** The recommended manifest with the liveness probe's period and threshold replaced. */
const withLiveness = (periodSeconds: number, failureThreshold: number) =>
  cleanLameduckManifest.replace(
    'periodSeconds: 10\n            failureThreshold: 3',
    `periodSeconds: ${periodSeconds}\n            failureThreshold: ${failureThreshold}`,
  );

test('the shortest stall that restarts: the first timeout, then a probe every period', () => {
  const probe = {
    handler: {},
    periodSeconds: 10,
    failureThreshold: 3,
    timeoutSeconds: 1,
    initialDelaySeconds: 0,
  };
  assert.equal(restartAfterStallSeconds(probe), 21);
  assert.equal(restartAfterStallSeconds({ ...probe, failureThreshold: 1 }), 1);
  // A timeout longer than the period spaces the probes: the worker waits for each one.
  assert.equal(
    restartAfterStallSeconds({
      ...probe,
      periodSeconds: 2,
      timeoutSeconds: 5,
      failureThreshold: 2,
    }),
    10,
  );
});

test('the recommended manifest (3 × 10 s) passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('failureThreshold 1: one slow answer restarts the container; fixed to 3', () => {
  const { findings, manifests } = lint(withLiveness(10, 1));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(
    findings[0]?.message ?? '',
    /'passport': the livenessProbe \(failureThreshold 1, periodSeconds 10, timeoutSeconds 1\) restarts it after 1 s without an answer/,
  );
  assert.equal(findings[0]?.location.line, 58);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, cleanLameduckManifest);
});

test('a fast period with the default threshold: 5 s of stall restarts; fixed to 6 probes', () => {
  const { findings, manifests } = lint(withLiveness(2, 3));
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /restarts it after 5 s .*failureThreshold 6\)/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /periodSeconds: 2\n {12}failureThreshold: 6\n/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('an absent failureThreshold is added by the fix; no liveness probe is no finding', () => {
  const { findings, manifests } = lint(
    cleanLameduckManifest.replace(
      'periodSeconds: 10\n            failureThreshold: 3',
      'periodSeconds: 3',
    ),
  );
  assert.equal(findings.length, 1);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.deepEqual(lint(fixed).findings, []);
  const noLiveness = cleanLameduckManifest.replace(/ {10}livenessProbe:\n(?: {12}.*\n)+/, '');
  assert.deepEqual(lint(noLiveness).findings, []);
});
