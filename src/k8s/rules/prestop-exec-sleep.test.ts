import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  withPreStopHandler,
} from '../../../test/helpers/lint-kit.js';
import { prestopExecSleepRule } from './prestop-exec-sleep.js';
import { shutdownBudgetRule } from './shutdown-budget.js';

const rules = [prestopExecSleepRule];

const execSleep = (command: string) =>
  withPreStopHandler(cleanLameduckManifest, `exec:\n                command: ${command}`);

test('exec sleep, directly or through a shell, becomes the native sleep action', () => {
  for (const command of ['["sleep", "10"]', '["/bin/sh", "-c", "sleep 10"]']) {
    const { findings, manifests } = lintTexts({ 'a.yaml': execSleep(command) }, rules);
    assert.equal(findings.length, 1, command);
    assert.equal(findings[0]?.ruleId, 'prestop-exec-sleep');
    assert.match(findings[0]?.message ?? '', /execs (the sleep binary|a shell running sleep)/);
    assert.match(findings[0]?.message ?? '', /Use the native action `sleep: \{seconds: 10\}`/);
    assert.equal(findings[0]?.location.line, 44);
    const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
    assert.match(fixed, /preStop:\n\s+sleep:\n\s+seconds: 10\n/);
    assert.match(fixed, /^# a lameduck gRPC service/);
    assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
  }
});

test('a fractional sleep is reported without a fix; one past the grace period raises it too', () => {
  const fractional = lintTexts({ 'a.yaml': execSleep('["sleep", "9.5"]') }, rules).findings;
  assert.match(fractional[0]?.message ?? '', /`sleep: \{seconds: 10\}`/);
  assert.equal(fractional[0]?.fix, undefined);
  // 60 s in a 45 s grace period: the API server rejects such a sleep action, so the fix raises
  // the grace period to what shutdown-budget plans (60 + 2 + 10), and both rules then pass.
  const long = execSleep('["sleep", "60"]');
  const both = [...rules, shutdownBudgetRule];
  const { findings, manifests } = lintTexts({ 'a.yaml': long }, both);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /terminationGracePeriodSeconds: 72\n/);
  assert.match(fixed, /sleep:\n\s+seconds: 60\n/);
  assert.match(fixed, /name: LAMEDUCK_GRACE_PERIOD_SECONDS\n\s+value: "12"/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, both).findings, []);
  // Alone (shutdown-budget disabled), the fix still leaves a manifest the API server accepts.
  const alone = lintTexts({ 'a.yaml': long }, rules);
  const aloneFixed = applyFixes(alone.findings, alone.manifests)['a.yaml'] ?? '';
  assert.match(aloneFixed, /terminationGracePeriodSeconds: 72\n/);
});

test('a script that does more than sleep is left alone: the native action would lose its work', () => {
  for (const command of [
    '["sh", "-c", "nginx -s quit; sleep 5"]',
    '["sh", "-c", "sleep 5 && curl -X POST localhost:9901/drain"]',
  ]) {
    assert.deepEqual(lintTexts({ 'a.yaml': execSleep(command) }, rules).findings, [], command);
  }
});

test('before Kubernetes 1.30, and for other hooks, nothing is reported', () => {
  assert.deepEqual(
    lintTexts({ 'a.yaml': execSleep('["sleep", "10"]') }, rules, [1, 29]).findings,
    [],
  );
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': execSleep('["/app", "drain"]') }, rules).findings, []);
});
