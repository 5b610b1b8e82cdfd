import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { envReferenceMissingRule } from './env-reference-missing.js';

const rules = [envReferenceMissingRule];
const configMap =
  'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: passport-env }\ndata: { LEVEL: info }\n';
const reading = (key: string, optional = '') =>
  cleanLameduckManifest.replace(
    'value: "45"',
    `value: "45"\n            - name: LOG_LEVEL\n              valueFrom:\n` +
      `                configMapKeyRef: { name: passport-env, key: ${key}${optional} }`,
  );

test('a key the ConfigMap has, an optional one, or a ConfigMap not linted: no finding', () => {
  assert.deepEqual(
    lintTexts({ 'a.yaml': reading('LEVEL'), 'c.yaml': configMap }, rules).findings,
    [],
  );
  const optional = reading('LOGLEVEL', ', optional: true');
  assert.deepEqual(lintTexts({ 'a.yaml': optional, 'c.yaml': configMap }, rules).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': reading('LOGLEVEL') }, rules).findings, []);
});

test('a required key the linted ConfigMap lacks is an error at the reference', () => {
  const yaml = reading('LOGLEVEL');
  const { findings } = lintTexts({ 'a.yaml': yaml, 'c.yaml': configMap }, rules);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /LOG_LEVEL reads key 'LOGLEVEL' of ConfigMap passport-env, which has no such key: the kubelet does not start the container/,
  );
  assert.equal(
    findings[0]?.location.line,
    yaml.split('\n').findIndex((line) => line.includes('configMapKeyRef: { name: passport-env')) +
      1,
  );
});
