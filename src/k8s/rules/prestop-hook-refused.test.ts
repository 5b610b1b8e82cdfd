import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopHookRefusedRule } from './prestop-hook-refused.js';

const noHostIp = cleanLameduckManifest.replace(
  / {12}- name: HOST_IP\n {14}valueFrom:\n {16}fieldRef:\n {18}fieldPath: status.hostIP\n/,
  '',
);

test('the lameduck hook without HOST_IP is refused: an error, fixed with the downward API', () => {
  const { findings, manifests } = lintTexts({ 'a.yaml': noHostIp }, [prestopHookRefusedRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /lameduck refuses \(403\)/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /- name: HOST_IP\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: status.hostIP/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [prestopHookRefusedRule]).findings, []);
});

test('LAMEDUCK_PRESTOP_ALLOW instead, or the clean manifest, pass', () => {
  const allow = noHostIp.replace(
    'value: "45"',
    'value: "45"\n            - name: LAMEDUCK_PRESTOP_ALLOW\n              value: 10.0.0.0/8',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': allow }, [prestopHookRefusedRule]).findings, []);
  assert.deepEqual(
    lintTexts({ 'a.yaml': cleanLameduckManifest }, [prestopHookRefusedRule]).findings,
    [],
  );
});
