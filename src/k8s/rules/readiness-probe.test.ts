import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { readinessProbeRule } from './readiness-probe.js';

const noReadiness = cleanLameduckManifest.replace(
  / {10}readinessProbe:\n {12}httpGet:\n {14}path: \/readyz\n {14}port: 9901\n {12}periodSeconds: 2\n {12}failureThreshold: 1\n/,
  '',
);

test('no readiness probe behind a Service is an error; a lameduck container gets /readyz', () => {
  const { findings, manifests } = lintTexts({ 'a.yaml': noReadiness }, [readinessProbeRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /has no readinessProbe/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /readinessProbe:\n\s+httpGet:\n\s+path: \/readyz/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [readinessProbeRule]).findings, []);
});

test('readiness identical to liveness is reported; the clean manifest passes', () => {
  const same = cleanLameduckManifest.replace('path: /livez', 'path: /readyz');
  const { findings } = lintTexts({ 'a.yaml': same }, [readinessProbeRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /readiness and liveness probe the same endpoint/);
  assert.deepEqual(
    lintTexts({ 'a.yaml': cleanLameduckManifest }, [readinessProbeRule]).findings,
    [],
  );
});
