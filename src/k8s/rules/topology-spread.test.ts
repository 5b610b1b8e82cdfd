import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { topologySpreadRule } from './topology-spread.js';

const unspread = cleanLameduckManifest.replace(
  / {6}topologySpreadConstraints:\n[\s\S]*? {14}app: passport\n/,
  '',
);

test('replicas not spread across nodes: a warning, fixed with a hostname constraint', () => {
  const { findings, manifests } = lintTexts({ 'a.yaml': unspread }, [topologySpreadRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /one node's reboot or crash takes them all/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /topologyKey: kubernetes.io\/hostname/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [topologySpreadRule]).findings, []);
});

test('pod anti-affinity on the hostname counts; so does the clean manifest', () => {
  const antiAffinity = unspread.replace(
    '      containers:',
    '      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n            - weight: 100\n              podAffinityTerm:\n                topologyKey: kubernetes.io/hostname\n      containers:',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': antiAffinity }, [topologySpreadRule]).findings, []);
  assert.deepEqual(
    lintTexts({ 'a.yaml': cleanLameduckManifest }, [topologySpreadRule]).findings,
    [],
  );
});
