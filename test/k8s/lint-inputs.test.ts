/**
 * What `lameduck lint` reads: a named pipe is skipped, not waited on; links to manifests in a
 * directory are followed (links to directories are not, so loops end); and finding no workload
 * at all is exit 2, so that a CI step pointed at the wrong place does not pass.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

interface JsonReport {
  workloadCount: number;
  findings: Array<{ ruleId: string }>;
}

test('a named pipe given by name is skipped with a message, not waited on', async (t) => {
  const dir = await lintTempDir(t);
  const pipe = path.join(dir, 'pipe.yaml');
  execFileSync('mkfifo', [pipe]);
  const file = path.join(dir, 'app.yaml');
  await writeFile(file, cleanLameduckManifest);
  const run = await runLameduckCli(['lint', pipe, file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /lameduck lint: skipping .*pipe\.yaml: not a regular file/);
  assert.match(run.stdout, /^1 workload\(s\) checked: 0 error\(s\)/m);
});

test('no workload found is exit 2 with a message; --allow-empty accepts it', async (t) => {
  const dir = await lintTempDir(t);
  const empty = path.join(dir, 'empty');
  await mkdir(empty);
  const serviceOnly = path.join(dir, 'service.yaml');
  await writeFile(serviceOnly, 'apiVersion: v1\nkind: Service\nmetadata: { name: a }\n');
  for (const [args, stdin] of [
    [['lint', '-'], ''],
    [['lint', empty], ''],
    [['lint', serviceOnly], ''],
    [['lint', '-'], '# a comment, no object\n'],
  ] as const) {
    const run = await runLameduckCli(args, stdin);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /lameduck lint: no workload found in .*: nothing was checked/);
  }
  const allowed = await runLameduckCli(['lint', '--allow-empty', empty]);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.match(allowed.stdout, /^0 workload\(s\) checked/);
});

test('a directory of links to manifests is linted through the links; looping links end', async (t) => {
  const dir = await lintTempDir(t);
  const real = path.join(dir, 'real');
  const links = path.join(dir, 'links');
  await Promise.all([mkdir(real), mkdir(links)]);
  await writeFile(path.join(real, 'app.yaml'), overBudgetManifest);
  await symlink(path.join('..', 'real', 'app.yaml'), path.join(links, 'app.yaml'));
  // A link to its own directory, and a link to itself: neither may be walked forever.
  await symlink('..', path.join(links, 'up'));
  await symlink('self.yaml', path.join(links, 'self.yaml'));
  const run = await runLameduckCli(['lint', '--format', 'json', links]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.equal(report.workloadCount, 1);
  assert.deepEqual(
    report.findings.map((finding) => finding.ruleId),
    ['shutdown-budget'],
  );
  assert.match(run.stderr, /lameduck lint: cannot read .*self\.yaml: ELOOP/);
});
