import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFixes, cleanLameduckManifest, lintTexts } from '../../../test/helpers/lint-kit.js';
import { shellPid1Rule } from './shell-pid1.js';

const withArgs = (args: string) =>
  cleanLameduckManifest.replace(
    'image: registry.example.com/passport:1.4.2',
    `image: registry.example.com/passport:1.4.2\n          args: ${args}`,
  );

test('a compound shell script as PID 1 is an error, fixed by exec-ing its last command', () => {
  const { findings, manifests } = lintTexts(
    { 'a.yaml': withArgs('["/bin/sh", "-c", "migrate && node server.js"]') },
    [shellPid1Rule],
  );
  assert.equal(findings.length, 1);
  assert.match(findings[0]?.message ?? '', /does not forward SIGTERM/);
  const fixed = applyFixes(findings, manifests)['a.yaml'] ?? '';
  assert.match(fixed, /migrate && exec node server.js/);
  assert.deepEqual(lintTexts({ 'a.yaml': fixed }, [shellPid1Rule]).findings, []);
});

test('a single command under bash -c (the incident) and an exec at the end pass', () => {
  for (const args of [
    '["/bin/bash", "-c", "/vip-passport"]',
    '["sh", "-c", "cd /app; exec node server.js"]',
    '["node", "server.js"]',
  ]) {
    assert.deepEqual(lintTexts({ 'a.yaml': withArgs(args) }, [shellPid1Rule]).findings, [], args);
  }
});
