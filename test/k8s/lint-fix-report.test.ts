/**
 * `lameduck lint --fix` tells what it changed, and changes only what its findings need
 * (issue 15, items 6 and 15).
 *
 * 1. A lameduck readiness probe on /livez through a named admin port, probed every 5 s: the fix
 *    changes the path and nothing else (the period, the missing failureThreshold and the port's
 *    name stay), and stderr names the file, the line, the rule and the line before and after.
 * 2. A flow sequence no rule touches (`command: ["node", "server.js"]`) keeps its bytes while
 *    another line of the file is fixed.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

test('--fix changes only the probe path, keeps the named port and period, and prints the change', async (t) => {
  // 1. The adopter's manifest: readiness and liveness both on /livez, port by name.
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  const before = cleanLameduckManifest
    .replace('- containerPort: 9901', '- containerPort: 9901\n              name: admin')
    .replaceAll('port: 9901', 'port: admin')
    .replace(
      'path: /readyz\n              port: admin\n            periodSeconds: 2\n            failureThreshold: 1\n',
      'path: /livez\n              port: admin\n            periodSeconds: 5\n',
    );
  await writeFile(file, before);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const after = await readFile(file, 'utf8');
  assert.equal(
    after,
    before.replace(
      'path: /livez\n              port: admin\n            periodSeconds: 5',
      'path: /readyz\n              port: admin\n            periodSeconds: 5',
    ),
  );
  const line = before.split('\n').indexOf('              path: /livez') + 1;
  assert.ok(
    run.stderr.includes(
      `lameduck lint: fixed ${file}:${line} readiness-same-as-liveness: probe /readyz for readiness\n` +
        '    -               path: /livez\n' +
        '    +               path: /readyz\n',
    ),
    run.stderr,
  );
});

test('--fix leaves a flow sequence no rule touches as written', async (t) => {
  // 2. The container's command in flow style; the fix is the grace period's env value.
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  const before = overBudgetManifest.replace(
    '          image: registry.example.com/passport:1.4.2\n',
    '          image: registry.example.com/passport:1.4.2\n          command: ["node", "server.js"]\n',
  );
  await writeFile(file, before);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(file, 'utf8'), before.replace('value: "60"', 'value: "45"'));
  assert.match(run.stderr, /fixed .*app\.yaml:\d+ shutdown-budget: /);
});
