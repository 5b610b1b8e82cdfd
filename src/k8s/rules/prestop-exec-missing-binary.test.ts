import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { prestopExecMissingBinaryRule } from './prestop-exec-missing-binary.js';

const manifest = (image: string, command: string) =>
  cleanLameduckManifest
    .replace('image: registry.example.com/passport:1.4.2', `image: ${image}`)
    .replace(
      /httpGet:\n {16}path: \/lameduck\/prestop\n {16}port: 9901/,
      `exec:\n                command: ${command}`,
    );

test('exec sleep or sh in a distroless or scratch image is an error, whatever the version', () => {
  for (const image of [
    'gcr.io/distroless/nodejs20-debian12',
    'scratch',
    'cgr.dev/chainguard/static:latest',
  ]) {
    for (const command of ['["sleep", "5"]', '["sh", "-c", "sleep 5"]']) {
      const { findings } = lintTexts(
        { 'a.yaml': manifest(image, command) },
        [prestopExecMissingBinaryRule],
        [1, 25],
      );
      assert.equal(findings.length, 1, `${image} ${command}`);
      assert.match(findings[0]?.message ?? '', /the preStop exec fails at once/);
    }
  }
});

test('an image with a shell, or an exec of the app itself, passes', () => {
  assert.deepEqual(
    lintTexts({ 'a.yaml': manifest('node:20-slim', '["sleep", "5"]') }, [
      prestopExecMissingBinaryRule,
    ]).findings,
    [],
  );
  assert.deepEqual(
    lintTexts(
      {
        'a.yaml': manifest(
          'gcr.io/distroless/nodejs20-debian12',
          '["/nodejs/bin/node", "prestop.js"]',
        ),
      },
      [prestopExecMissingBinaryRule],
    ).findings,
    [],
  );
});
