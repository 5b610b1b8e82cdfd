import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopExecSleepRule } from './prestop-exec-sleep.js';

const execSleep = (command: string) =>
  cleanLameduckManifest.replace(
    /httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/,
    `exec:\n                command: ${command}`,
  );

test('exec sleep, directly or through a shell, becomes the native sleep action', () => {
  for (const command of ['["sleep", "10"]', '["/bin/sh", "-c", "sleep 10"]']) {
    const { findings, manifests } = lintTexts({ 'a.yaml': execSleep(command) }, [
      prestopExecSleepRule,
    ]);
    assert.equal(findings.length, 1, command);
    assert.match(findings[0]?.message ?? '', /Use the native action `sleep: \{seconds: 10\}`/);
    const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
    assert.match(fixed, /preStop:\n\s+sleep:\n\s+seconds: 10\n/);
    assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [prestopExecSleepRule]).findings, []);
  }
});

test('before Kubernetes 1.30, and for other hooks, nothing is reported', () => {
  assert.deepEqual(
    lintTexts({ 'a.yaml': execSleep('["sleep", "10"]') }, [prestopExecSleepRule], [1, 29]).findings,
    [],
  );
  assert.deepEqual(
    lintTexts({ 'a.yaml': cleanLameduckManifest }, [prestopExecSleepRule]).findings,
    [],
  );
  assert.deepEqual(
    lintTexts({ 'a.yaml': execSleep('["/app", "drain"]') }, [prestopExecSleepRule]).findings,
    [],
  );
});
