import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFixes,
  cleanLameduckManifest,
  lintTexts,
  withPreStopHandler,
} from '../../../test/helpers/lint-kit.js';
import { isBareImage, prestopExecMissingBinaryRule } from './prestop-exec-missing-binary.js';

const rules = [prestopExecMissingBinaryRule];

const manifest = (image: string, command: string) =>
  withPreStopHandler(
    cleanLameduckManifest.replace('image: registry.example.com/passport:1.4.2', `image: ${image}`),
    `exec:\n                command: ${command}`,
  );

test('exec sleep or sh in a distroless, scratch or Chainguard image is an error, whatever the version', () => {
  for (const image of [
    'gcr.io/distroless/nodejs20-debian12',
    'registry.example.com/passport-distroless:1.4.2',
    'scratch',
    'cgr.dev/chainguard/static:latest',
    'cgr.dev/chainguard/node@sha256:0123',
  ]) {
    for (const command of ['["sleep", "5"]', '["sh", "-c", "sleep 5"]', '["/bin/bash", "x.sh"]']) {
      const { findings } = lintTexts({ 'a.yaml': manifest(image, command) }, rules, [1, 25]);
      assert.equal(findings.length, 1, `${image} ${command}`);
      assert.equal(findings[0]?.ruleId, 'prestop-exec-missing-binary');
      assert.match(
        findings[0]?.message ?? '',
        /has no (sleep|sh|bash) .*the preStop exec fails at once/,
      );
      assert.equal(findings[0]?.location.line, 44);
      assert.equal(findings[0]?.fix, undefined, 'no native sleep action before 1.30');
    }
  }
});

test('from Kubernetes 1.30 a hook that only sleeps is fixed with the native sleep action', () => {
  const yaml = manifest('gcr.io/distroless/static-debian12', '["sh", "-c", "sleep 5"]');
  const { findings, manifests } = lintTexts({ 'a.yaml': yaml }, rules, [1, 30]);
  assert.equal(findings.length, 1);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /preStop:\n\s+sleep:\n\s+seconds: 5\n/);
  assert.match(fixed, /^# a lameduck gRPC service/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, rules, [1, 30]).findings, []);
});

test('images with a shell, or an exec of the app itself, pass', () => {
  for (const image of [
    'node:20-slim',
    'gcr.io/distroless/base-debian12:debug',
    'cgr.dev/chainguard/node:latest-dev',
    'cgr.dev/chainguard/wolfi-base',
    'registry.example.com/scratchpad:1',
  ]) {
    assert.equal(isBareImage(image), false, image);
    assert.deepEqual(
      lintTexts({ 'a.yaml': manifest(image, '["sleep", "5"]') }, rules).findings,
      [],
      image,
    );
  }
  const ownBinary = manifest('gcr.io/distroless/nodejs20-debian12', '["/nodejs/bin/node", "p.js"]');
  assert.deepEqual(lintTexts({ 'a.yaml': ownBinary }, rules).findings, []);
  assert.deepEqual(lintTexts({ 'a.yaml': cleanLameduckManifest }, rules).findings, []);
});
