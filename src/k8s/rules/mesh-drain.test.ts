import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cleanLameduckManifest,
  lintTexts,
  withPreStopHandler,
} from '../../../test/helpers/lint-kit.js';
import { meshDrainRule } from './mesh-drain.js';

const rules = [meshDrainRule];
const podLabels = '      labels:\n        app: passport\n    spec:';

/** The clean manifest with pod annotations; the first annotation is on line 21. */
const annotated = (...annotations: string[]) =>
  cleanLameduckManifest.replace(
    podLabels,
    `      labels:\n        app: passport\n      annotations:\n${annotations
      .map((annotation) => `        ${annotation}\n`)
      .join('')}    spec:`,
  );
/** A preStop that sleeps `seconds` instead of lameduck's hook. */
const sleeping = (yaml: string, seconds: number) =>
  withPreStopHandler(yaml, `sleep:\n                seconds: ${seconds}`);

test('an Istio drain or a Linkerd wait that does not fit the grace period is reported at its annotation', () => {
  for (const annotation of [
    'proxy.istio.io/config: "terminationDrainDuration: 60s"',
    'proxy.istio.io/config: \'{"terminationDrainDuration": "1m"}\'',
    'proxy.istio.io/config: |\n          concurrency: 2\n          terminationDrainDuration: 1m30s',
    'config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "50"',
  ]) {
    const { findings } = lintTexts({ 'a.yaml': annotated(annotation) }, rules);
    assert.equal(findings.length, 1, annotation);
    assert.equal(findings[0]?.ruleId, 'mesh-drain');
    assert.match(
      findings[0]?.message ?? '',
      /\((50|60|90) s\) does not fit terminationGracePeriodSeconds \(45 s\): .* the kubelet SIGKILLs the sidecar mid-drain/,
    );
    assert.equal(findings[0]?.location.line, 21);
  }
});

test('Linkerd’s default wait of 0 s is shorter than lameduck’s hook: the proxy refuses its callers', () => {
  const { findings } = lintTexts({ 'a.yaml': annotated('linkerd.io/inject: enabled') }, rules);
  assert.equal(findings.length, 1);
  assert.match(
    findings[0]?.message ?? '',
    /Linkerd’s sidecar gets SIGTERM at once, but the preStop hook of container 'passport' holds the app’s for 2 s or more/,
  );
  assert.match(
    findings[0]?.message ?? '',
    /refuses new requests .* Linkerd’s default wait \(0 s\)/,
  );
  assert.equal(findings[0]?.location.line, 46);
  const waits = annotated(
    'linkerd.io/inject: enabled',
    'config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "10"',
  );
  assert.deepEqual(lintTexts({ 'a.yaml': waits }, rules).findings, []);
});

test('Istio’s default 5 s drain ends before a 10 s preStop sleep, unless the sidecar is native', () => {
  const yaml = sleeping(annotated('sidecar.istio.io/inject: "true"'), 10);
  const old = lintTexts({ 'a.yaml': yaml }, rules, [1, 30]).findings;
  assert.equal(old.length, 1);
  assert.match(
    old[0]?.message ?? '',
    /istio-agent kills Envoy .* after Istio’s default wait \(5 s\)/,
  );
  // Istio 1.27+ makes the sidecar native on Kubernetes 1.33+; the annotation decides either way.
  assert.deepEqual(lintTexts({ 'a.yaml': yaml }, rules, [1, 33]).findings, []);
  const classic = sleeping(
    annotated('sidecar.istio.io/inject: "true"', 'sidecar.istio.io/nativeSidecar: "false"'),
    10,
  );
  assert.equal(lintTexts({ 'a.yaml': classic }, rules, [1, 35]).findings.length, 1);
});

test('a drain that fits, no mesh, or a mesh turned off, passes', () => {
  for (const yaml of [
    annotated('proxy.istio.io/config: "terminationDrainDuration: 20s"'),
    annotated('proxy.istio.io/config: |\n          terminationDrainDuration: 0m30s'),
    annotated(
      'linkerd.io/inject: enabled',
      'config.beta.linkerd.io/proxy-enable-native-sidecar: "true"',
    ),
    annotated(
      'sidecar.istio.io/inject: "false"',
      'proxy.istio.io/config: "terminationDrainDuration: 60s"',
    ),
    cleanLameduckManifest,
  ]) {
    assert.deepEqual(
      lintTexts({ 'a.yaml': yaml }, rules, [1, 29]).findings,
      [],
      yaml.slice(300, 500),
    );
  }
});
