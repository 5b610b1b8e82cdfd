/**
 * `lameduck lint --fix` changes the bytes of its edit and no other: what `yaml` would print in
 * another form (YAML 1.1 octal modes, a Latin-1 comment, spacing, JSON numbers past 2^53 or with
 * an exponent) stays as written, or the file is refused with a message and left as it is.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

/** The fix of {@link overBudgetManifest}: one line. */
function fixed(text: string): string {
  return text.replace('value: "60"', 'value: "45"').replace('"value": "60"', '"value": "45"');
}

test('--fix leaves every byte outside its edit as written: octal modes, Latin-1, spacing', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  // Kubernetes reads YAML 1.1: 0400 is octal (r--------); printed as 400 it would be decimal.
  const quirks = `# équipe: café, in Latin-1\n${overBudgetManifest}`
    .replace('  replicas: 3\n', '  replicas:    3   # spacing\n')
    .replace(
      '      containers:\n',
      '      volumes:\n        - name: tls\n          secret:\n            secretName: passport-tls\n' +
        '            defaultMode: 0400\n            items:\n' +
        '              - { key: tls.key, path: tls.key, mode: 0755 }\n      containers:\n',
    );
  const original = Buffer.from(quirks, 'latin1');
  assert.ok(!original.equals(Buffer.from(quirks, 'utf8')), 'the fixture is not UTF-8');
  await writeFile(file, original);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(await readFile(file), Buffer.from(fixed(quirks), 'latin1'));
});

test('--fix in a JSON manifest keeps its numbers as written (past 2^53, exponents)', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.json');
  const items = parseAllDocuments(overBudgetManifest).map((document) => document.toJS());
  const json = `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`
    .replace(
      '"replicas": 3,',
      '"replicas": 3,\n        "revisionHistoryLimit": 12345678901234567890,',
    )
    .replace('"terminationGracePeriodSeconds": 45,', '"terminationGracePeriodSeconds": 4.5e1,');
  await writeFile(file, json);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(file, 'utf8'), fixed(json));
});

test('--fix refuses a file it cannot edit without rewriting other lines, with a message', async (t) => {
  // JSON on one line: the printer's JSON differs from it on every line, the fixed one included.
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.json');
  const items = parseAllDocuments(overBudgetManifest).map((document) => document.toJS());
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  await writeFile(file, json);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /lameduck lint: cannot fix .*app\.json: .*make the fix by hand/);
  assert.match(run.stdout, /error {2}shutdown-budget/, 'the finding is still reported');
  assert.equal(await readFile(file, 'utf8'), json, 'the file is as it was');
  // The same text in the printer's form is fixed.
  await writeFile(file, `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`);
  assert.equal((await runLameduckCli(['lint', '--fix', file])).code, 0);
  assert.deepEqual(
    JSON.parse(await readFile(file, 'utf8')),
    JSON.parse(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: parseAllDocuments(cleanLameduckManifest).map((document) => document.toJS()),
      }),
    ),
  );
});
