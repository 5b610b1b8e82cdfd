import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopMissingRule } from './prestop-missing.js';

const withoutHook = cleanLameduckManifest.replace(
  /\n {10}lifecycle:\n {12}preStop:\n {14}httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/,
  '',
);

test('a container behind a Service with no preStop is an error; a lameduck one gets the httpGet hook', () => {
  const { findings, manifests } = lintTexts({ 'app.yaml': withoutHook }, [prestopMissingRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /behind Service passport but has no preStop hook/);
  assert.equal(findings[0]?.location.line, 30);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /preStop:\n\s+httpGet:\n\s+path: \/lameduck\/prestop\n\s+port: 9901/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'app.yaml': fixed }, [prestopMissingRule]).findings, []);
});

test('another app gets the native sleep, or exec sleep before Kubernetes 1.30', () => {
  const plain = withoutHook.replace(
    / {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/,
    '',
  );
  const modern = lintTexts({ 'a.yaml': plain }, [prestopMissingRule]);
  applyFixes(modern.findings, modern.manifests);
  assert.match(
    applyFixes([], modern.manifests)['a.yaml'] ?? '',
    /preStop:\n\s+sleep:\n\s+seconds: 5/,
  );
  const old = lintTexts({ 'a.yaml': plain }, [prestopMissingRule], [1, 29]);
  assert.match(
    applyFixes(old.findings, old.manifests)['a.yaml'] ?? '',
    /exec:\n\s+command:\n\s+- sleep\n\s+- "5"/,
  );
});

test('a workload no Service selects, or one with a hook, passes', () => {
  const noService = withoutHook.replace(/---\napiVersion: v1\nkind: Service[\s\S]*?---\n/, '---\n');
  assert.deepEqual(lintTexts({ 'a.yaml': noService }, [prestopMissingRule]).findings, []);
  assert.deepEqual(
    lintTexts({ 'a.yaml': cleanLameduckManifest }, [prestopMissingRule]).findings,
    [],
  );
});
