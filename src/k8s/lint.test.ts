import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../test/helpers/lint-kit.js';
import { lintManifests } from './lint.js';
import type { LintRule } from './lint-rule.js';
import { loadManifest } from './manifest-loader.js';
import { lintRules } from './rules/index.js';

/** A rule that reports every workload with the Services and PDBs it was given. */
const probeRule: LintRule = {
  id: 'probe',
  severity: 'warning',
  summary: 'test rule',
  check: ({ services, pdbs }) => [
    {
      message: `services=${services.map((s) => s.object.name).join(',')} pdbs=${pdbs.map((p) => p.object.name).join(',')}`,
      path: ['metadata', 'name'],
    },
  ],
};

const [deployment, service, pdb] = cleanLameduckManifest.split('---\n');

test('Services and PDBs in other files select the workload; other namespaces do not', () => {
  const otherNamespace = (service ?? '').replace(
    'name: passport',
    'name: elsewhere\n  namespace: other',
  );
  const { findings } = lintTexts(
    {
      'deploy.yaml': deployment ?? '',
      'svc.yaml': `${service}---\n${otherNamespace}`,
      'pdb.yaml': pdb ?? '',
    },
    [probeRule],
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.message, 'services=passport pdbs=passport');
  assert.deepEqual(findings[0]?.location, { file: 'deploy.yaml', line: 5, column: 9 });
  assert.equal(findings[0]?.object, 'Deployment/passport');
});

test('a Service whose selector does not match selects nothing', () => {
  const { findings } = lintTexts(
    { 'all.yaml': `${deployment}---\n${(service ?? '').replace('app: passport', 'app: other')}` },
    [probeRule],
  );
  assert.equal(findings[0]?.message, 'services= pdbs=');
});

test('lameduck.io/ignore on the object or its pod template silences a rule; --disable too', () => {
  const ignored = (deployment ?? '').replace(
    'metadata:\n  name: passport',
    'metadata:\n  name: passport\n  annotations:\n    lameduck.io/ignore: "other, probe"',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': ignored }, [probeRule]).findings, []);
  const ignoredOnPods = (deployment ?? '').replace(
    '      labels:\n        app: passport',
    '      labels:\n        app: passport\n      annotations:\n        lameduck.io/ignore: probe',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': ignoredOnPods }, [probeRule]).findings, []);
  const disabled = lintManifests([loadManifest('a.yaml', deployment ?? '')], {
    rules: [probeRule],
    disabled: new Set(['probe']),
    settings: { k8sVersion: [1, 35] },
  });
  assert.deepEqual(disabled.findings, []);
  assert.equal(disabled.workloadCount, 1);
});

test('a Secret whose data is not base64 is reported as invalid, at the key', () => {
  const secret =
    'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata:\n  grace: "40"\n  ok: NDA=\n';
  const report = lintManifests([loadManifest('s.yaml', secret)], {
    rules: lintRules,
    disabled: new Set(),
    settings: { k8sVersion: [1, 35] },
  });
  assert.deepEqual(
    report.findings.map((finding) => [finding.ruleId, finding.object, finding.location.line]),
    [['manifest-invalid', 'Secret/s', 5]],
  );
  assert.match(report.findings[0]?.message ?? '', /data\.grace is not base64/);
});
