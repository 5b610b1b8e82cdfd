import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  shopManifest,
} from '../../../test/helpers/lint-kit.js';
import { resolveFenceposts, rollingUpdateCapacityRule } from './rolling-update-capacity.js';

const rules = [rollingUpdateCapacityRule];
const lint = (yaml: string) => lintTexts({ 'a.yaml': yaml }, rules);

/** The recommended manifest with `strategy` replaced by `strategy` (YAML at 2 spaces). */
const withStrategy = (strategy: string) =>
  cleanLameduckManifest.replace(/ {2}strategy:\n(?: {4}.*\n)+/, strategy);

test('fenceposts resolve as the Deployment controller does', () => {
  // Defaults: 25 % surge rounds up, 25 % unavailable rounds down.
  assert.deepEqual(resolveFenceposts(undefined, undefined, 3), {
    surgePods: 1,
    unavailablePods: 0,
  });
  assert.deepEqual(resolveFenceposts(undefined, undefined, 8), {
    surgePods: 2,
    unavailablePods: 2,
  });
  assert.deepEqual(resolveFenceposts(1, '50%', 3), { surgePods: 1, unavailablePods: 1 });
  // Both round to 0: the controller lets one pod go, or it could never progress.
  assert.deepEqual(resolveFenceposts(0, '25%', 3), { surgePods: 0, unavailablePods: 1 });
  assert.deepEqual(resolveFenceposts('0%', 5, 3), { surgePods: 0, unavailablePods: 3 });
});

test('the recommended manifest and the default strategy with 3 replicas pass', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
  assert.deepEqual(lint(withStrategy('')).findings, []);
});

test('maxUnavailable 1 of 3 replicas: a warning at maxUnavailable, fixed to surge instead', () => {
  const yaml = cleanLameduckManifest.replace('maxUnavailable: 0', 'maxUnavailable: 1');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(
    findings[0]?.message ?? '',
    /maxUnavailable 1 of 3 replicas is 1: each rollout step takes 1 of 3 pods out of service/,
  );
  assert.equal(findings[0]?.location.line, 12);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.equal(fixed, cleanLameduckManifest);
});

test('maxSurge 0 with the default maxUnavailable: both round to 0, so one pod goes', () => {
  const yaml = withStrategy('  strategy:\n    rollingUpdate:\n      maxSurge: 0\n');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /maxSurge 0 and maxUnavailable 25% \(the default\) both round to 0 of 3 replicas/,
  );
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.match(
    fixed,
    /rollingUpdate:\n {6}maxSurge: 1\n {6}maxUnavailable: 0\n {4}type: RollingUpdate\n/,
  );
  assert.deepEqual(lint(fixed).findings, []);
});

test('many replicas: the default 25 % is a small share and passes; 40 % of 10 is reported', () => {
  const many = withStrategy('').replace('replicas: 3', 'replicas: 10');
  assert.deepEqual(lint(many).findings, []);
  const yaml = withStrategy('  strategy:\n    rollingUpdate:\n      maxUnavailable: 40%\n').replace(
    'replicas: 3',
    'replicas: 10',
  );
  assert.match(lint(yaml).findings[0]?.message ?? '', /takes 4 of 10 pods/);
});

test('Recreate behind a Service is reported and fixed; without a Service it is left alone', () => {
  const recreate = withStrategy('  strategy:\n    type: Recreate\n');
  const { findings, manifests } = lint(recreate);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /uses the Recreate strategy behind a Service/);
  assert.equal(findings[0]?.location.line, 9);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.deepEqual(lint(fixed).findings, []);
  const noService = recreate.replace(
    /---\napiVersion: v1\nkind: Service\n(?:.*\n)+?---\n/,
    '---\n',
  );
  assert.deepEqual(lint(noService).findings, []);
});

test('an Argo Rollouts canary resolves the same defaults; the fix sets its fenceposts', () => {
  const rollout = shopManifest({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    spec: '  replicas: 2\n  strategy:\n    canary:\n      maxUnavailable: 1\n',
  });
  const { findings, manifests } = lint(rollout);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /Rollout shop: maxUnavailable 1 of 2 replicas is 1/);
  assert.equal(findings[0]?.location.line, 9);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /canary:\n {6}maxUnavailable: 0\n {6}maxSurge: 1\n/);
  assert.deepEqual(lint(fixed).findings, []);
  const blueGreen = rollout.replace('canary:\n      maxUnavailable: 1', 'blueGreen: {}');
  assert.deepEqual(lint(blueGreen).findings, []);
});

const daemonSet = (updateStrategy: string) =>
  cleanLameduckManifest
    .replace('kind: Deployment', 'kind: DaemonSet')
    .replace(
      / {2}replicas: 3\n {2}strategy:\n[\s\S]*?maxUnavailable: 0\n/,
      updateStrategy === '' ? '' : `  updateStrategy:\n${updateStrategy.replace(/^/gm, '    ')}\n`,
    );

test('a DaemonSet behind a Service rolls by stopping each node’s pod first: fixed to surge', () => {
  const { findings, manifests } = lint(daemonSet(''));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'warning');
  assert.match(
    findings[0]?.message ?? '',
    /DaemonSet passport: maxUnavailable 1 \(the default\) stops each node’s pod before its replacement is Ready, and the Service loses that node’s capacity/,
  );
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(
    fixed,
    /updateStrategy:\n {4}type: RollingUpdate\n {4}rollingUpdate:\n {6}maxSurge: 1\n {6}maxUnavailable: 0/,
  );
  assert.deepEqual(lint(fixed).findings, []);
  for (const passes of ['type: OnDelete', 'rollingUpdate:\n  maxSurge: 1\n  maxUnavailable: 0']) {
    assert.deepEqual(lint(daemonSet(passes)).findings, [], passes);
  }
  // Without a Service, no traffic is lost.
  const alone = daemonSet('').replace(/---\napiVersion: v1\nkind: Service[\s\S]*?---\n/, '---\n');
  assert.deepEqual(lint(alone).findings, []);
});

test('a Local traffic policy makes it an error; a host port leaves it without a fix', () => {
  const local = daemonSet('rollingUpdate:\n  maxUnavailable: 10%').replace(
    '  ports:\n    - port: 50051',
    '  internalTrafficPolicy: Local\n  ports:\n    - port: 50051',
  );
  const [finding] = lint(local).findings;
  assert.equal(finding?.severity, 'error');
  assert.match(
    finding?.message ?? '',
    /maxUnavailable 10% stops .* Service passport has internalTrafficPolicy: Local, so every request that reaches that node fails/,
  );
  const hostPort = daemonSet('').replace(
    '- containerPort: 50051',
    '- containerPort: 50051\n              hostPort: 50051',
  );
  const [pinned] = lint(hostPort).findings;
  assert.match(pinned?.message ?? '', /bind a host port, so they cannot surge/);
  assert.equal(pinned?.fix, undefined);
});

test('a fix through a scalar where a mapping belongs replaces it instead of throwing', () => {
  const { findings, manifests } = lint(
    daemonSet('').replace(
      '  selector:\n    matchLabels',
      '  updateStrategy: RollingUpdate\n  selector:\n    matchLabels',
    ),
  );
  assert.equal(findings.length, 1);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(
    fixed,
    /updateStrategy:\n {4}type: RollingUpdate\n {4}rollingUpdate:\n {6}maxSurge: 1/,
  );
  assert.deepEqual(lint(fixed).findings, []);
});
