import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { rollingUpdateCapacityRule, unavailablePods } from './rolling-update-capacity.js';

const rules = [rollingUpdateCapacityRule];

test('maxUnavailable counts pods as the controller does: percentages round down', () => {
  assert.equal(unavailablePods('25%', 3), 0);
  assert.equal(unavailablePods('25%', 8), 2);
  assert.equal(unavailablePods(1, 3), 1);
});

test('maxUnavailable 1 of 3 replicas: a warning, fixed to surge instead', () => {
  const yaml = cleanLameduckManifest.replace('maxUnavailable: 0', 'maxUnavailable: 1');
  const { findings, manifests } = lintTexts({ 'a.yaml': yaml }, rules);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /may take 1 of 3 pods down/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});

test('Recreate behind a Service, and a single replica, are reported; the clean manifest passes', () => {
  const recreate = cleanLameduckManifest.replace(
    / {4}type: RollingUpdate\n {4}rollingUpdate:\n {6}maxSurge: 1\n {6}maxUnavailable: 0/,
    '    type: Recreate',
  );
  assert.match(
    lintTexts({ 'a.yaml': recreate }, rules).findings[0]?.message ?? '',
    /Recreate strategy/,
  );
  const single = cleanLameduckManifest.replace('replicas: 3', 'replicas: 1');
  assert.match(
    lintTexts({ 'a.yaml': single }, rules).findings[0]?.message ?? '',
    /one replica behind a Service/,
  );
  // The default strategy (25 % of 3 rounds down to 0) keeps capacity.
  const defaults = cleanLameduckManifest.replace(/ {2}strategy:\n[\s\S]*?maxUnavailable: 0\n/, '');
  assert.deepEqual(lintTexts({ 'a.yaml': defaults }, rules).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
});
