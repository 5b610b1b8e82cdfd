import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { pdbRule } from './pdb.js';

const noPdb = cleanLameduckManifest.replace(/---\napiVersion: policy\/v1[\s\S]*$/, '');

test('no PDB for a multi-replica Deployment: a warning, fixed by appending one', () => {
  const { findings, manifests } = lintTexts({ 'a.yaml': noPdb }, [pdbRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /runs 3 replicas but no PodDisruptionBudget/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /---\napiVersion: policy\/v1\nkind: PodDisruptionBudget\n/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [pdbRule]).findings, []);
});

test('a PDB that lets every pod go is reported at the PDB; one replica needs none', () => {
  const allowAll = cleanLameduckManifest.replace(
    'maxUnavailable: 1\n  selector',
    'maxUnavailable: 100%\n  selector',
  );
  const { findings } = lintTexts({ 'a.yaml': allowAll }, [pdbRule]);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /allows all 3 replicas/);
  assert.ok((findings[0]?.location.line ?? 0) > 70);
  assert.deepEqual(
    lintTexts({ 'a.yaml': noPdb.replace('replicas: 3', 'replicas: 1') }, [pdbRule]).findings,
    [],
  );
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, [pdbRule]).findings, []);
});
