import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  shopManifest,
  withPreStopHandler,
} from '../../../test/helpers/lint-kit.js';
import { shutdownBudgetRule } from './shutdown-budget.js';

const rules = [shutdownBudgetRule];
const lint = (yaml: string) => lintTexts({ 'app.yaml': yaml }, rules);

test('a lameduck service whose grace period setting matches passes', () => {
  assert.deepEqual(lint(cleanLameduckManifest).findings, []);
});

test('LAMEDUCK_GRACE_PERIOD_SECONDS above the grace period is an error, fixed to match', () => {
  const yaml = cleanLameduckManifest.replace('value: "45"', 'value: "60"');
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  const [finding] = findings;
  assert.equal(finding?.ruleId, 'shutdown-budget');
  assert.match(
    finding?.message ?? '',
    /LAMEDUCK_GRACE_PERIOD_SECONDS is 60: lameduck plans a shutdown that SIGKILL cuts short; terminationGracePeriodSeconds \(45 s\) leaves 45 s/,
  );
  assert.equal(finding?.location.line, 37);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /value: "45"/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('an unset LAMEDUCK_GRACE_PERIOD_SECONDS with a 45 s grace period gets the env added', () => {
  const yaml = cleanLameduckManifest.replace(
    / {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/,
    '',
  );
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /unset \(lameduck assumes 30\)/);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.deepEqual(lint(fixed).findings, []);
});

test('a preStop sleep as long as the grace period is an error', () => {
  const yaml = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: api:1
          lifecycle:
            preStop:
              exec:
                command: ["sh", "-c", "sleep 30"]
`;
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /sleeps 30 s, all of the default terminationGracePeriodSeconds \(30 s\)/,
  );
  assert.equal(findings[0]?.location.line, 13);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /terminationGracePeriodSeconds: 42/);
});

test('a sleep before a lameduck app: its grace setting must be what the sleep leaves', () => {
  const yaml = withPreStopHandler(cleanLameduckManifest, 'sleep:\n                seconds: 10');
  const { findings } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /less the preStop sleep of 10 s, leaves 35 s/);
});

test('Spring: preStop + timeout-per-shutdown-phase over the grace period is an error', () => {
  const yaml = shopManifest({
    container:
      '          env:\n            - { name: SERVER_SHUTDOWN, value: graceful }\n' +
      '          lifecycle:\n            preStop:\n              sleep: { seconds: 10 }\n',
  });
  const { findings } = lint(yaml);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /need 42 s, more than the default terminationGracePeriodSeconds \(30 s\)/,
  );
  const passing = yaml.replace(
    'env:',
    'env:\n            - { name: SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE, value: 15s }',
  );
  assert.deepEqual(lint(passing).findings, []);
});

test('Spring: any case of graceful, either env name of the phase timeout, Spring durations', () => {
  const spring = (env: string) =>
    shopManifest({
      container:
        `          env:\n${env}` +
        '          lifecycle:\n            preStop:\n              sleep: { seconds: 10 }\n',
    });
  const entry = (name: string, value: string) =>
    `            - { name: ${name}, value: "${value}" }\n`;
  // GRACEFUL binds as graceful: 10 + 30 (default) + 2 > 30.
  assert.equal(lint(spring(entry('SERVER_SHUTDOWN', 'GRACEFUL'))).findings.length, 1);
  for (const [name, value] of [
    ['SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE', '15s'],
    ['SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE', 'PT15S'],
    // A bare number is milliseconds to Spring.
    ['SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE', '15000'],
  ] as const) {
    const yaml = spring(entry('SERVER_SHUTDOWN', 'graceful') + entry(name, value));
    assert.deepEqual(lint(yaml).findings, [], `${name}=${value}`);
  }
});

const graceEntry = / {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/;
const graceFrom = (entry: string) =>
  cleanLameduckManifest.replace(graceEntry, entry.replace(/^/gm, '            ').concat('\n'));
const configMap = (grace: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: passport-env\ndata:\n  LAMEDUCK_GRACE_PERIOD_SECONDS: "${grace}"\n`;

test('a grace setting from a ConfigMap among the manifests is checked; the fix overrides it', () => {
  const keyRef = graceFrom(
    '- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n  valueFrom:\n    configMapKeyRef: { name: passport-env, key: LAMEDUCK_GRACE_PERIOD_SECONDS }',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': keyRef, 'c.yaml': configMap('45') }, rules).findings, []);
  const { findings, manifests } = lintTexts({ 'a.yaml': keyRef, 'c.yaml': configMap('60') }, rules);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /LAMEDUCK_GRACE_PERIOD_SECONDS is 60 \(from ConfigMap passport-env\)/,
  );
  // The valueFrom entry becomes a literal: an entry with both would be rejected by the API.
  const fixed = applyFixes(findings, manifests);
  assert.doesNotMatch(fixed['a.yaml'] ?? '', /configMapKeyRef/);
  assert.match(fixed['a.yaml'] ?? '', /- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n\s+value: "45"/);
  assert.deepEqual(lintTexts(fixed, rules).findings, []);
});

test('a grace setting the manifests cannot show is a note without a fix', () => {
  const fromEnvFrom = cleanLameduckManifest
    .replace(graceEntry, '')
    .replace(
      '          env:\n',
      '          envFrom:\n            - configMapRef: { name: passport-env }\n          env:\n',
    );
  const fromSecret = graceFrom(
    '- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n  valueFrom:\n    secretKeyRef: { name: passport, key: grace }',
  );
  for (const [yaml, source] of [
    [fromEnvFrom, 'ConfigMap passport-env'],
    [fromSecret, 'Secret passport'],
  ] as const) {
    const { findings } = lint(yaml);
    assert.equal(findings.length, 1, source);
    assert.equal(findings[0]?.severity, 'info');
    assert.equal(findings[0]?.fix, undefined);
    assert.match(
      findings[0]?.message ?? '',
      new RegExp(`comes from ${source}, which is not among`),
    );
  }
  // With the ConfigMap given too, the value is known and right.
  assert.deepEqual(
    lintTexts({ 'a.yaml': fromEnvFrom, 'c.yaml': configMap('45') }, rules).findings,
    [],
  );
});

test('a grace setting that is not a number is an error: lameduck would not start', () => {
  const { findings } = lint(cleanLameduckManifest.replace('value: "45"', 'value: forty-five'));
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.severity, 'error');
  assert.match(
    findings[0]?.message ?? '',
    /is 'forty-five', not a whole decimal number of seconds from 1 to 2147483: lameduck refuses to start/,
  );
  // Read as lameduck reads it: hex, fractions and exponents are refused there (issue 12, item 7).
  for (const text of ['"0x2d"', '"45.0"', '"4.5e1"', '"045"']) {
    const notDecimal = lint(cleanLameduckManifest.replace('value: "45"', `value: ${text}`));
    assert.equal(notDecimal.findings.length, 1, text);
    assert.match(notDecimal.findings[0]?.message ?? '', /lameduck refuses to start/, text);
  }
  // Empty is unset to lameduck: its default of 30 s is the finding.
  const empty = lint(cleanLameduckManifest.replace('value: "45"', 'value: ""')).findings;
  assert.match(empty[0]?.message ?? '', /unset \(lameduck assumes 30\)/);
});

test('two containers that need more time: one grace period, the longest, fits both at once', () => {
  const container = (name: string, seconds: number) =>
    `        - name: ${name}\n          image: ${name}:1\n` +
    `          lifecycle: { preStop: { sleep: { seconds: ${seconds} } } }\n`;
  const yaml =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: pair }\nspec:\n  template:\n' +
    '    spec:\n      terminationGracePeriodSeconds: 30\n      containers:\n' +
    container('long', 60) +
    container('short', 40);
  const { findings, manifests } = lint(yaml);
  assert.equal(findings.length, 2);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /terminationGracePeriodSeconds: 72\n/);
  assert.deepEqual(lint(fixed).findings, []);
});

test('a sleep past the grace period before a lameduck app: both settings fixed in one pass', () => {
  const yaml = withPreStopHandler(
    cleanLameduckManifest.replace(
      'terminationGracePeriodSeconds: 45',
      'terminationGracePeriodSeconds: 10',
    ),
    'exec:\n                command: [sleep, "15"]',
  );
  const { findings, manifests } = lint(yaml);
  const fixed = applyFixes(findings, manifests)['app.yaml'] ?? '';
  assert.match(fixed, /terminationGracePeriodSeconds: 27\n/);
  assert.match(fixed, /name: LAMEDUCK_GRACE_PERIOD_SECONDS\n\s+value: "12"/);
  assert.deepEqual(lint(fixed).findings, []);
});
