import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopHookRefusedRule } from './prestop-hook-refused.js';
import { prestopMissingRule } from './prestop-missing.js';

const rules = [prestopMissingRule];
const withoutHook = cleanLameduckManifest.replace(
  /\n {10}lifecycle:\n {12}preStop:\n {14}httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/,
  '',
);
const notLameduck = withoutHook.replace(
  / {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/,
  '',
);

test('a container behind a Service with no preStop is an error; a lameduck one gets the httpGet hook', () => {
  const { findings, manifests } = lintTexts({ 'app.yaml': withoutHook }, rules);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.ruleId, 'prestop-missing');
  assert.match(
    findings[0]?.message ?? '',
    /behind Service passport but has no preStop hook: SIGTERM arrives while kube-proxy, ingresses and registries still route to the pod/,
  );
  assert.match(findings[0]?.message ?? '', /`httpGet: \{path: \/lameduck\/prestop, port: 9901\}`/);
  assert.equal(findings[0]?.location.line, 30);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /preStop:\n\s+httpGet:\n\s+path: \/lameduck\/prestop\n\s+port: 9901/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'app.yaml': fixed }, rules).findings, []);
});

test('the lameduck hook goes to LAMEDUCK_ADMIN_PORT, with HOST_IP so that lameduck accepts it', () => {
  const yaml = withoutHook
    .replace(
      / {12}- name: HOST_IP\n {14}valueFrom:\n {16}fieldRef:\n {18}fieldPath: status.hostIP\n/,
      '',
    )
    .replace(
      'value: "45"',
      'value: "45"\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9000"',
    );
  const { findings, manifests } = lintTexts({ 'app.yaml': yaml }, rules);
  assert.equal(findings.length, 1);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /path: \/lameduck\/prestop\n\s+port: 9000/);
  assert.match(fixed, /- name: HOST_IP\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: status.hostIP/);
  const both = [prestopMissingRule, prestopHookRefusedRule];
  assert.deepEqual(lintTexts({ 'app.yaml': fixed }, both).findings, []);
});

test('another app gets the native sleep, or exec sleep before Kubernetes 1.30', () => {
  const modern = lintTexts({ 'a.yaml': notLameduck }, rules);
  assert.match(
    modern.findings[0]?.message ?? '',
    /waits a few seconds \(`sleep: \{seconds: 5\}`\)/,
  );
  const modernFixed = applyFixes(modern.findings, modern.manifests)['a.yaml'] ?? '';
  assert.match(modernFixed, /preStop:\n\s+sleep:\n\s+seconds: 5/);
  assert.deepEqual(lintTexts({ 'a.yaml': modernFixed }, rules).findings, []);
  const old = lintTexts({ 'a.yaml': notLameduck }, rules, [1, 29]);
  const oldFixed = applyFixes(old.findings, old.manifests)['a.yaml'] ?? '';
  assert.match(oldFixed, /exec:\n\s+command:\n\s+- sleep\n\s+- "5"/);
  assert.deepEqual(lintTexts({ 'a.yaml': oldFixed }, rules, [1, 29]).findings, []);
});

test('a workload no Service selects, one with a hook, or a native sidecar without one, passes', () => {
  const noService = withoutHook.replace(/---\napiVersion: v1\nkind: Service[\s\S]*?---\n/, '---\n');
  assert.deepEqual(lintTexts({ 'a.yaml': noService }, rules).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
  const sidecar = cleanLameduckManifest.replace(
    '      containers:\n',
    '      initContainers:\n        - name: log-shipper\n          image: fluent-bit:3\n' +
      '          restartPolicy: Always\n      containers:\n',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': sidecar }, rules).findings, []);
});
