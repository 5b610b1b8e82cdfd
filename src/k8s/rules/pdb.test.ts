import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  autoscalerManifest,
  cleanLameduckManifest,
  lintTexts,
} from '../../../test/helpers/lint-kit.js';
import { pdbRule } from './pdb.js';

const rules = [pdbRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);
const noPdb = cleanLameduckManifest.replace(/---\napiVersion: policy\/v1[\s\S]*$/, '');
const withPdbSpec = (spec: string) =>
  cleanLameduckManifest.replace('  maxUnavailable: 1\n  selector', `${spec}\n  selector`);

test('the recommended manifest passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('no PDB for a multi-replica Deployment: a warning, fixed by appending one', () => {
  const { findings, manifests } = lint(noPdb);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(findings[0]?.message ?? '', /runs 3 replicas but no PodDisruptionBudget/);
  assert.equal(findings[0]?.location.line, 5);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(
    fixed.slice(noPdb.length),
    '---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: passport\n' +
      'spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: passport\n',
  );
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('the added PDB keeps the namespace, and a file of one document gets its separator', () => {
  const deployment = (noPdb.split('---\n')[0] ?? '').replace(
    'name: passport\n',
    'name: passport\n  namespace: id\n',
  );
  const { findings, manifests } = lint(deployment);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /failureThreshold: 3\n---\napiVersion: policy\/v1\n[\s\S]*namespace: id\n/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('a PDB that lets every pod go is reported at the PDB', () => {
  for (const spec of ['  maxUnavailable: 100%', '  maxUnavailable: 3', '  minAvailable: 0%']) {
    const { findings } = lint(withPdbSpec(spec));
    assert.equal(findings.length, 1, spec);
    assert.match(findings[0]?.message ?? '', /PodDisruptionBudget passport allows all 3 replicas/);
    assert.equal(findings[0]?.location.line, 75);
  }
  // 67 % of 3 rounds up to 3: all of them.
  assert.equal(lint(withPdbSpec('  maxUnavailable: 67%')).findings.length, 1);
  // 34 % of 3 rounds up to 2, leaving 1; minAvailable 1 leaves 1.
  assert.deepEqual(lint(withPdbSpec('  maxUnavailable: 34%')).findings, []);
  assert.deepEqual(lint(withPdbSpec('  minAvailable: 1')).findings, []);
});

test('one replica needs no PDB; a PDB over several workloads protects each of them', () => {
  assert.deepEqual(lint(noPdb.replace('replicas: 3', 'replicas: 1')).findings, []);
  const shared = cleanLameduckManifest
    .replace(
      / {6}labels:\n {8}app: passport\n/,
      '      labels:\n        app: passport\n        tier: api\n',
    )
    .replace(/matchLabels:\n {6}app: passport\n$/, 'matchLabels:\n      tier: api\n');
  const other = (shared.split('---\n')[0] ?? '').replaceAll('passport', 'visa');
  const { findings } = lintTexts({ 'a.yaml': shared, 'b.yaml': other }, rules);
  assert.deepEqual(findings, []);
});

test('an autoscaler that may run 2 or more pods needs a PDB even when replicas is unset', () => {
  const scaled = noPdb.replace('  replicas: 3\n', '');
  assert.deepEqual(lint(scaled).findings, []);
  const hpa = autoscalerManifest('  minReplicas: 1\n  maxReplicas: 10\n');
  const { findings } = lintTexts({ 'a.yaml': scaled, 'hpa.yaml': hpa }, rules);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /runs 1–10 replicas \(HorizontalPodAutoscaler passport\) but no PodDisruptionBudget/,
  );
});

test('a PDB with an empty selector covers every pod of its namespace: no second PDB', () => {
  // policy/v1: `selector: {}` selects all pods; a pod under two PDBs cannot be evicted at all.
  const everyPod = cleanLameduckManifest.replace(
    / {2}selector:\n {4}matchLabels:\n {6}app: passport\n$/,
    '  selector: {}\n',
  );
  assert.notEqual(everyPod, cleanLameduckManifest);
  assert.deepEqual(lint(everyPod).findings, []);
  // No selector at all selects nothing: the Deployment has no PDB.
  const none = everyPod.replace('  selector: {}\n', '');
  assert.equal(lint(none).findings.length, 1);
});
