/**
 * `lameduck lint` as a user runs it: files, directories and standard input, text, JSON and
 * SARIF output (validated against the SARIF 2.1.0 schema), exit codes, `--fix` in place and
 * with `--dry-run`, and a broken file reported with its line while the others are still linted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

const incident = 'examples/k8s/incident/vip-passport.yaml';
const recommended = 'examples/k8s/passport.yaml';
const helmTemplate = 'test/fixtures/k8s/helm-template.yaml';

/** The 1-based line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((line) => line.includes(needle)) + 1;
}

interface JsonReport {
  workloadCount: number;
  findings: Array<{ ruleId: string; severity: string; location: { file: string; line: number } }>;
}

test('the incident manifest gets the findings that explain its dropped requests; exit 1', async () => {
  const run = await runLameduckCli(['lint', '--format', 'json', incident]);
  const report = JSON.parse(run.stdout) as JsonReport;
  const ruleIds = report.findings.map((f) => f.ruleId).sort();
  // `bash -c /vip-passport` is one simple command, which bash execs: not a shell-pid1 finding.
  assert.deepEqual(ruleIds, ['pdb', 'prestop-exec-sleep', 'readiness-probe', 'topology-spread']);
  assert.equal(run.code, 1);
});

test('the recommended manifest passes every rule; exit 0', async () => {
  const run = await runLameduckCli(['lint', recommended]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /^1 workload\(s\) checked: 0 error\(s\), 0 warning\(s\), 0 note\(s\)\n$/,
  );
});

test('SARIF output validates against the SARIF 2.1.0 schema', async (t) => {
  const dir = await lintTempDir(t);
  const overBudget = path.join(dir, 'over-budget.yaml');
  await writeFile(overBudget, overBudgetManifest);
  const run = await runLameduckCli([
    'lint',
    '--format',
    'sarif',
    incident,
    recommended,
    overBudget,
  ]);
  const require = createRequire(import.meta.url);
  const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
  // The official schema has a pattern that is not valid with the `u` flag.
  // Both are CommonJS modules whose export is under `default`.
  const ajv = new ajvDraft04.default({ strict: false, allErrors: true, unicodeRegExp: false });
  ajvFormats.default(ajv);
  const validate = ajv.compile(schema);
  const log = JSON.parse(run.stdout) as { runs: Array<{ results: unknown[] }> };
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  assert.equal(run.code, 1);
  assert.ok((log.runs[0]?.results.length ?? 0) >= 1);
});

test('a file that is not YAML, or not Kubernetes, is reported with its line; the others are still linted', async (t) => {
  const dir = await lintTempDir(t);
  await writeFile(
    path.join(dir, 'broken.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n',
  );
  await writeFile(path.join(dir, 'notes.yaml'), '- just\n- a list\n');
  await writeFile(path.join(dir, 'app.yaml'), cleanLameduckManifest);
  const run = await runLameduckCli(['lint', dir]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /broken\.yaml:\d+:\d+ {2}error {2}manifest-invalid .*not valid YAML/);
  assert.match(
    run.stdout,
    /notes\.yaml:1:1 {2}error {2}manifest-invalid .*not a Kubernetes object/,
  );
  assert.match(run.stdout, /1 workload\(s\) checked: 2 error\(s\)/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

test('standard input: `helm template` output piped in, fixed through --fix --dry-run', async () => {
  // As helm 3 prints a chart: `# Source:` comments, an empty template, a test-hook Pod, the
  // grace setting in a ConfigMap, named ports, an HPA. The one mistake: the ConfigMap's 30 s.
  const rendered = await readFile(helmTemplate, 'utf8');
  const run = await runLameduckCli(['lint', '--format', 'json', '-'], rendered);
  assert.equal(run.code, 1, run.stderr);
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.equal(report.workloadCount, 1);
  assert.deepEqual(
    report.findings.map((finding) => [
      finding.ruleId,
      finding.location.file,
      finding.location.line,
    ]),
    [['shutdown-budget', '-', lineOf(rendered, 'LAMEDUCK_GRACE_PERIOD_SECONDS: "30"')]],
  );
  const fixed = await runLameduckCli(['lint', '--fix', '--dry-run', '-'], rendered);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /^---\n# Source: passport\/templates\/serviceaccount.yaml/);
  const relinted = await runLameduckCli(['lint', '--format', 'json', '-'], fixed.stdout);
  assert.deepEqual((JSON.parse(relinted.stdout) as JsonReport).findings, []);
});

test('--fix --dry-run prints fixed manifests that lint clean and keep their comments', async (t) => {
  const dir = await lintTempDir(t);
  const broken = overBudgetManifest.replace(/---\napiVersion: policy\/v1[\s\S]*$/, '');
  const file = path.join(dir, 'app.yaml');
  await writeFile(file, broken);
  const run = await runLameduckCli(['lint', '--fix', '--dry-run', file]);
  // The file on disk still has its error: a preview never passes a CI gate.
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /^# a lameduck gRPC service, deployed the recommended way\n/);
  assert.match(run.stderr, /0 error\(s\), 0 warning\(s\)/);
  assert.equal(await readFile(file, 'utf8'), broken, 'the file is untouched');
  const again = await runLameduckCli(['lint', '-'], run.stdout);
  assert.equal(again.code, 0, again.stdout);
  assert.match(again.stdout, /0 error\(s\), 0 warning\(s\)/);
});

test('--fix rewrites the file in place and reports what is left', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  await writeFile(file, overBudgetManifest);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(file, 'utf8'), cleanLameduckManifest);
});

test('--fix writes the workload’s file when the finding points into another file', async (t) => {
  // The grace setting comes from a ConfigMap in its own file: the finding points there, the
  // fix overrides it in the Deployment's container, and only the Deployment's file changes.
  const dir = await lintTempDir(t);
  const appFile = path.join(dir, 'app.yaml');
  const envFile = path.join(dir, 'env.yaml');
  const app = cleanLameduckManifest
    .replace(/ {12}- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n {14}value: "45"\n/, '')
    .replace(
      '          env:\n',
      '          envFrom:\n            - configMapRef: { name: passport-env }\n          env:\n',
    );
  const env =
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: passport-env\n' +
    'data:\n  LAMEDUCK_GRACE_PERIOD_SECONDS: "60"\n';
  await Promise.all([writeFile(appFile, app), writeFile(envFile, env)]);
  const before = await runLameduckCli(['lint', '--format', 'json', dir]);
  const [finding] = (JSON.parse(before.stdout) as JsonReport).findings;
  assert.deepEqual([finding?.ruleId, finding?.location.file], ['shutdown-budget', envFile]);

  const run = await runLameduckCli(['lint', '--fix', dir]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(envFile, 'utf8'), env, 'the ConfigMap is left as it was');
  assert.match(
    await readFile(appFile, 'utf8'),
    /- name: LAMEDUCK_GRACE_PERIOD_SECONDS\n\s+value: "45"/,
  );
});

test('after --fix every file is linted again, not only the ones the fixes changed', async (t) => {
  // The Deployment's file gets a fix; the Service's, with an error no fix can remove, does not.
  const dir = await lintTempDir(t);
  const [deployment = '', service = ''] = overBudgetManifest
    .replace(
      '  selector:\n    app: passport\n',
      '  publishNotReadyAddresses: true\n  selector:\n    app: passport\n',
    )
    .split(/---\n(?=apiVersion: v1\nkind: Service)/);
  await writeFile(path.join(dir, 'app.yaml'), deployment);
  await writeFile(path.join(dir, 'service.yaml'), `---\n${service}`);
  const run = await runLameduckCli(['lint', '--fix', '--format', 'json', dir]);
  assert.equal(run.code, 1, run.stderr);
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.equal(report.workloadCount, 1);
  assert.deepEqual(
    report.findings.map((finding) => finding.ruleId),
    ['publish-not-ready-addresses'],
  );
});

test('no paths on a terminal is refused at once, not a wait on standard input', async () => {
  // `script` (util-linux, in every Debian) gives the CLI a terminal as standard input.
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const command = `${process.execPath} --import tsx ${cli} lint`;
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { timeout: 30_000 }, (error, stdout) =>
      resolve({ code: error === null ? 0 : (error.code as number | null), output: stdout }),
    );
  });
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /no manifests given: name files or directories, or pipe them in with -/);
});

test('bad options are refused with a message', async () => {
  const unknownRule = await runLameduckCli(['lint', '--disable', 'no-such-rule', recommended]);
  assert.notEqual(unknownRule.code, 0);
  assert.match(unknownRule.stderr, /unknown rule 'no-such-rule'/);
  const badVersion = await runLameduckCli(['lint', '--k8s-version', 'latest', recommended]);
  assert.match(badVersion.stderr, /must look like 1\.30/);
  const missing = await runLameduckCli(['lint', 'no/such/file.yaml']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read no\/such\/file\.yaml: ENOENT/);
});
