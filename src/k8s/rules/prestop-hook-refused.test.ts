import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopHookRefusedRule } from './prestop-hook-refused.js';

const rules = [prestopHookRefusedRule];
const hostIpEntry =
  / {12}- name: HOST_IP\n {14}valueFrom:\n {16}fieldRef:\n {18}fieldPath: status.hostIP\n/;
const noHostIp = cleanLameduckManifest.replace(hostIpEntry, '');
const withEnv = (entry: string) =>
  noHostIp.replace('value: "45"', `value: "45"\n${entry.replace(/^/gm, '            ')}`);

test('the lameduck hook without HOST_IP is refused: an error, fixed with the downward API', () => {
  const { findings, manifests } = lintTexts({ 'a.yaml': noHostIp }, rules);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.ruleId, 'prestop-hook-refused');
  assert.match(
    findings[0]?.message ?? '',
    /HOST_IP is not set, so lameduck refuses \(403\) the kubelet’s preStop call/,
  );
  assert.equal(findings[0]?.location.line, 40);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /- name: HOST_IP\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: status.hostIP/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});

test('HOST_IP from another field is reported at the entry and replaced, not duplicated', () => {
  const yaml = withEnv(
    '- name: HOST_IP\n  valueFrom:\n    fieldRef:\n      fieldPath: status.podIP',
  );
  const { findings, manifests } = lintTexts({ 'a.yaml': yaml }, rules);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /HOST_IP is from status.podIP, not the node’s address/);
  assert.equal(findings[0]?.location.line, 38);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed.match(/name: HOST_IP/g)?.length, 1);
  assert.match(fixed, /fieldPath: status.hostIP/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules).findings, []);
});

test('LAMEDUCK_PRESTOP_ALLOW instead, or the clean manifest, pass; an empty allow list does not', () => {
  for (const entry of [
    '- name: LAMEDUCK_PRESTOP_ALLOW\n  value: 10.0.0.0/8',
    '- name: LAMEDUCK_PRESTOP_ALLOW\n  valueFrom:\n    configMapKeyRef: { name: lameduck, key: allow }',
  ]) {
    assert.deepEqual(lintTexts({ 'a.yaml': withEnv(entry) }, rules).findings, [], entry);
  }
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
  const empty = withEnv('- name: LAMEDUCK_PRESTOP_ALLOW\n  value: ""');
  assert.equal(lintTexts({ 'a.yaml': empty }, rules).findings.length, 1);
});

const envFrom = (source: string) =>
  noHostIp.replace(
    '          env:\n',
    `          envFrom:\n${source.replace(/^/gm, '            ')}\n          env:\n`,
  );
const configMap = (data: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lameduck-env\ndata:\n${data.replace(/^/gm, '  ')}\n`;

test('an allow-list from an envFrom ConfigMap among the manifests is read, in any file', () => {
  const yaml = envFrom('- configMapRef:\n    name: lameduck-env');
  const files = (data: string) => ({ 'a.yaml': yaml, 'env.yaml': configMap(data) });
  assert.deepEqual(lintTexts(files('LAMEDUCK_PRESTOP_ALLOW: 10.0.0.0/8'), rules).findings, []);
  // The ConfigMap is there and does not set it: the hook is refused, as without envFrom.
  const { findings } = lintTexts(files('LAMEDUCK_ADMIN_PORT: "9901"'), rules);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'error');
});

test('a prefixed envFrom or a Secret sets the allow-list; an env entry overrides envFrom', () => {
  const prefixed = envFrom('- prefix: LAMEDUCK_\n  configMapRef:\n    name: lameduck-env');
  const prefixedFiles = { 'a.yaml': prefixed, 'env.yaml': configMap('PRESTOP_ALLOW: 10.0.0.0/8') };
  assert.deepEqual(lintTexts(prefixedFiles, rules).findings, []);
  const secret =
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: lameduck-env\n' +
    `data:\n  LAMEDUCK_PRESTOP_ALLOW: ${Buffer.from('10.0.0.0/8').toString('base64')}\n`;
  const fromSecret = envFrom('- secretRef:\n    name: lameduck-env');
  assert.deepEqual(lintTexts({ 'a.yaml': fromSecret, 's.yaml': secret }, rules).findings, []);
  const overridden = fromSecret.replace(
    'value: "45"',
    'value: "45"\n            - name: LAMEDUCK_PRESTOP_ALLOW\n              value: ""',
  );
  const { findings } = lintTexts({ 'a.yaml': overridden, 's.yaml': secret }, rules);
  assert.equal(findings.length, 1);
});

test('an envFrom source not among the manifests makes the refusal a warning that names it', () => {
  const yaml = envFrom('- configMapRef:\n    name: lameduck-env');
  const { findings } = lintTexts({ 'a.yaml': yaml }, rules);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(
    findings[0]?.message ?? '',
    /LAMEDUCK_PRESTOP_ALLOW is not in the manifests linted \(ConfigMap lameduck-env, not among them, may set it\)/,
  );
  // A ConfigMap of that name in another namespace is not the one the pod reads.
  const elsewhere = configMap('LAMEDUCK_PRESTOP_ALLOW: 10.0.0.0/8').replace(
    'name: lameduck-env',
    'name: lameduck-env\n  namespace: other',
  );
  const other = lintTexts({ 'a.yaml': yaml, 'env.yaml': elsewhere }, rules).findings;
  assert.equal(other[0]?.severity, 'warning');
});
