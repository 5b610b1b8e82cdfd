import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  shopManifest,
} from '../../../test/helpers/lint-kit.js';
import { readinessProbeRule } from './readiness-probe.js';

const rules = [readinessProbeRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

const noReadiness = cleanLameduckManifest.replace(
  / {10}readinessProbe:\n {12}httpGet:\n {14}path: \/readyz\n {14}port: 9901\n {12}periodSeconds: 2\n {12}failureThreshold: 1\n/,
  '',
);

/** A plain (not lameduck) Deployment behind a Service, with no probes. */
const plainApp = shopManifest({ spec: '  replicas: 3\n', service: true });

test('the recommended manifest passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('a lameduck container behind a Service with no readiness probe gets /readyz on the admin port', () => {
  const { findings, manifests } = lint(noReadiness);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'error');
  assert.match(
    findings[0]?.message ?? '',
    /'passport' is behind a Service but has no readinessProbe/,
  );
  assert.match(findings[0]?.message ?? '', /lameduck’s \/readyz/);
  assert.equal(findings[0]?.location.line, 30);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(
    fixed,
    /readinessProbe:\n {12}httpGet:\n {14}path: \/readyz\n {14}port: 9901\n {12}periodSeconds: 2\n {12}failureThreshold: 1\n/,
  );
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('the fix probes LAMEDUCK_ADMIN_PORT when it is set', () => {
  const yaml = noReadiness.replace(
    'env:\n',
    'env:\n            - name: LAMEDUCK_ADMIN_PORT\n              value: "9911"\n',
  );
  const { findings, manifests } = lint(yaml);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /path: \/readyz\n {14}port: 9911/);
});

test('another app gets the finding without a fix: its endpoint is not known', () => {
  const { findings } = lint(plainApp);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /'shop' is behind a Service but has no readinessProbe/);
  assert.equal(findings[0]?.location.line, 11);
  assert.equal(findings[0]?.fix, undefined);
});

test('no Service selects the pods: no traffic to gate, no finding', () => {
  const alone = shopManifest({ spec: '  replicas: 3\n' });
  assert.deepEqual(lint(alone).findings, []);
});
