import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  autoscalerManifest,
  cleanLameduckManifest,
  lintTexts,
} from '../../../test/helpers/lint-kit.js';
import { singleReplicaRule } from './single-replica.js';

const rules = [singleReplicaRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

test('the recommended manifest (3 replicas) passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('replicas: 1 behind a Service is a warning at spec.replicas, with no fix', () => {
  const { findings } = lint(cleanLameduckManifest.replace('replicas: 3', 'replicas: 1'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(
    findings[0]?.message ?? '',
    /Deployment passport runs 1 replica behind a Service: every restart, eviction or node failure/,
  );
  assert.equal(findings[0]?.location.line, 7);
  assert.equal(findings[0]?.fix, undefined);
});

test('unset replicas means 1; the message names the autoscaler case', () => {
  const { findings } = lint(cleanLameduckManifest.replace('  replicas: 3\n', ''));
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /runs 1 replica behind a Service \(replicas is unset; if an autoscaler scales it, lint its manifest too\)/,
  );
  // No spec.replicas: the finding points at the spec that lacks it.
  assert.equal(findings[0]?.location.line, 7);
});

test('a StatefulSet counts; no Service, 0 replicas or a DaemonSet do not', () => {
  const statefulSet = cleanLameduckManifest
    .replace('kind: Deployment', 'kind: StatefulSet')
    .replace('replicas: 3', 'replicas: 1');
  assert.equal(lint(statefulSet).findings.length, 1);
  const noService = cleanLameduckManifest
    .replace('replicas: 3', 'replicas: 1')
    .replace(/---\napiVersion: v1\nkind: Service\n(?:.*\n)+?---\n/, '---\n');
  assert.deepEqual(lint(noService).findings, []);
  assert.deepEqual(lint(cleanLameduckManifest.replace('replicas: 3', 'replicas: 0')).findings, []);
  const daemonSet = cleanLameduckManifest.replace('kind: Deployment', 'kind: DaemonSet');
  assert.deepEqual(lint(daemonSet).findings, []);
});

test('an autoscaler among the manifests decides: its minimum of 1 is reported where it is set', () => {
  const deployment = cleanLameduckManifest.replace('  replicas: 3\n', '');
  const hpa = (min: string) => autoscalerManifest(`${min}  maxReplicas: 10\n`);
  const { findings } = lintTexts(
    { 'app.yaml': deployment, 'hpa.yaml': hpa('  minReplicas: 1\n') },
    rules,
  );
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /HorizontalPodAutoscaler passport lets Deployment passport scale down to 1 replica/,
  );
  assert.deepEqual(findings[0]?.location, { file: 'hpa.yaml', line: 7, column: 16 });
  // minReplicas defaults to 1: reported at the autoscaler's spec.
  const unsetMin = lintTexts({ 'app.yaml': deployment, 'hpa.yaml': hpa('') }, rules).findings;
  assert.equal(unsetMin[0]?.location.file, 'hpa.yaml');
  // At least 2 passes.
  const two = hpa('  minReplicas: 2\n');
  assert.deepEqual(lintTexts({ 'app.yaml': deployment, 'hpa.yaml': two }, rules).findings, []);
  // KEDA's minimum of 0 serves with 1 pod once scaled up (its HPA's minimum is 1): reported.
  const keda = autoscalerManifest('', 'ScaledObject');
  const [scaled] = lintTexts({ 'app.yaml': deployment, 'hpa.yaml': keda }, rules).findings;
  assert.match(
    scaled?.message ?? '',
    /ScaledObject passport lets Deployment passport scale down to 1/,
  );
  // An autoscaler of another workload, or in another namespace, is not this one's.
  const otherTarget = hpa('  minReplicas: 2\n').replace('name: passport }', 'name: billing }');
  assert.equal(
    lintTexts({ 'a.yaml': deployment, 'h.yaml': otherTarget }, rules).findings.length,
    1,
  );
});
