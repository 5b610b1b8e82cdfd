import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { topologySpreadRule } from './topology-spread.js';

const rules = [topologySpreadRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

const unspread = cleanLameduckManifest.replace(
  / {6}topologySpreadConstraints:\n[\s\S]*? {14}app: passport\n/,
  '',
);

/** `unspread` with `affinity` (YAML at 6 spaces) added to the pod spec. */
const withAffinity = (affinity: string) =>
  unspread.replace('      containers:', `${affinity}      containers:`);

test('the recommended manifest passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('replicas not spread across nodes: a warning, fixed with a hostname constraint', () => {
  const { findings, manifests } = lint(unspread);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(findings[0]?.message ?? '', /runs 3 replicas with no topologySpreadConstraints/);
  assert.match(findings[0]?.message ?? '', /one node's reboot or crash takes them all/);
  assert.equal(findings[0]?.location.line, 21);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(
    fixed,
    /topologySpreadConstraints:\n {8}- maxSkew: 1\n {10}topologyKey: kubernetes.io\/hostname\n {10}whenUnsatisfiable: ScheduleAnyway\n {10}labelSelector:\n {12}matchLabels:\n {14}app: passport\n/,
  );
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('a zone spread alone is reported, and the message says why', () => {
  const zone = cleanLameduckManifest.replace(
    'topologyKey: kubernetes.io/hostname',
    'topologyKey: topology.kubernetes.io/zone',
  );
  const { findings } = lint(zone);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /zone alone does not keep them off one node/);
});

test('a hostname spread that selects other pods, or none, does not count', () => {
  const others = cleanLameduckManifest.replace(
    /( {12}matchLabels:\n {14})app: passport/,
    '$1app: visa',
  );
  assert.equal(lint(others).findings.length, 1);
  const noSelector = cleanLameduckManifest.replace(
    / {10}labelSelector:\n {12}matchLabels:\n {14}app: passport\n/,
    '',
  );
  assert.equal(lint(noSelector).findings.length, 1);
});

test('pod anti-affinity on the hostname, required or preferred, counts when it selects the pods', () => {
  const term = (indent: string) =>
    `${indent}topologyKey: kubernetes.io/hostname\n${indent}labelSelector:\n${indent}  matchLabels:\n${indent}    app: passport\n`;
  const preferred = withAffinity(
    `      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n            - weight: 100\n              podAffinityTerm:\n${term('                ')}`,
  );
  assert.deepEqual(lint(preferred).findings, []);
  const required = withAffinity(
    `      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            - ${term('              ').trimStart()}`,
  );
  assert.deepEqual(lint(required).findings, []);
  assert.equal(
    lint(required.replace('app: passport\n      containers', 'app: visa\n      containers'))
      .findings.length,
    1,
  );
});

test('one replica and DaemonSets are exempt', () => {
  assert.deepEqual(lint(unspread.replace('replicas: 3', 'replicas: 1')).findings, []);
  assert.deepEqual(lint(unspread.replace('kind: Deployment', 'kind: DaemonSet')).findings, []);
});
