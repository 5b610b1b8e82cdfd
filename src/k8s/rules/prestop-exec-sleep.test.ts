import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopExecSleepRule } from './prestop-exec-sleep.js';

const rules = [prestopExecSleepRule];

const execSleep = (command: string) =>
  cleanLameduckManifest.replace(
    /httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/,
    `exec:\n                command: ${command}`,
  );

test('exec sleep, directly or through a shell, becomes the native sleep action', () => {
  for (const command of ['["sleep", "10"]', '["/bin/sh", "-c", "sleep 10"]', '["sleep", "9.5"]']) {
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
