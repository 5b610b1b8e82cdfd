import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { meshDrainRule } from './mesh-drain.js';

const annotated = (annotation: string) =>
  cleanLameduckManifest.replace(
    '      labels:\n        app: passport\n    spec:',
    `      labels:\n        app: passport\n      annotations:\n        ${annotation}\n    spec:`,
  );

test('an Istio drain or a Linkerd wait at least as long as the grace period is reported', () => {
  for (const annotation of [
    'proxy.istio.io/config: "terminationDrainDuration: 60s"',
    'config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "50"',
  ]) {
    const { findings } = lintTexts({ 'a.yaml': annotated(annotation) }, [meshDrainRule]);
    assert.equal(findings.length, 1, annotation);
    assert.match(
      findings[0]?.message ?? '',
      /terminationGracePeriodSeconds is 45 s: the sidecar is SIGKILLed/,
    );
  }
});

test('a shorter drain, or no mesh, passes', () => {
  const short = annotated('proxy.istio.io/config: "terminationDrainDuration: 20s"');
  assert.deepEqual(lintTexts({ 'a.yaml': short }, [meshDrainRule]).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, [meshDrainRule]).findings, []);
});
