import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
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
    /runs 1 replica behind a Service \(replicas is unset; ignore this if a HorizontalPodAutoscaler/,
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
