/**
 * `lameduck lint --fix` writing files: each file is fixed once however it is named.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

const stackTrace = /\n\s+at /;

test('a file named twice, or with its directory, is linted and fixed once', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  await writeFile(file, overBudgetManifest);
  const names = [file, `${dir}/./app.yaml`, dir];
  const run = await runLameduckCli(['lint', '--fix', '--format', 'json', ...names]);
  assert.doesNotMatch(run.stderr, stackTrace);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal((JSON.parse(run.stdout) as { workloadCount: number }).workloadCount, 1);
  assert.equal(await readFile(file, 'utf8'), cleanLameduckManifest);
});
