/**
 * `lameduck lint --fix` writing files: a fixed file keeps its mode, owner and links, each file is
 * fixed once however it is named, and a file that cannot be written is a message and exit 1,
 * never a stack trace. "Unprivileged" runs are root's without its capabilities when the tests run
 * as root (as in CI), so that mode bits bind.
 */
import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  readFile,
  readlink,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { cleanLameduckManifest, lintTempDir, overBudgetManifest } from '../helpers/lint-kit.js';

const isRoot = process.getuid?.() === 0;
const stackTrace = /\n\s+at /;

/** `file`'s permission bits, owner and group. */
async function ownership(file: string): Promise<[number, number, number]> {
  const { mode, uid, gid } = await stat(file);
  return [mode & 0o7777, uid, gid];
}

test('--fix keeps the mode, owner and group of the files it fixes (a 0600 file stays 0600)', async (t) => {
  const dir = await lintTempDir(t);
  const files = [0o600, 0o640, 0o664].map((mode) => ({
    file: path.join(dir, `app-${mode.toString(8)}.yaml`),
    mode,
  }));
  for (const { file, mode } of files) {
    await writeFile(file, overBudgetManifest);
    await chmod(file, mode);
    // root's fix of another user's file leaves it theirs.
    if (isRoot) await chown(file, 65534, 65534);
  }
  const before = await Promise.all(files.map(({ file }) => ownership(file)));
  const run = await runLameduckCli(['lint', '--fix', ...files.map(({ file }) => file)]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  for (const { file } of files) assert.equal(await readFile(file, 'utf8'), cleanLameduckManifest);
  assert.deepEqual(await Promise.all(files.map(({ file }) => ownership(file))), before);
  assert.deepEqual(
    before.map(([mode]) => mode),
    files.map(({ mode }) => mode),
  );
});

test('--fix on a read-only file: refused with a message for a user who may not write it; root fixes it and it stays read-only', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  await writeFile(file, overBudgetManifest);
  await chmod(file, 0o444);
  const refused = await runLameduckCli(['lint', '--fix', file], '', { unprivileged: true });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /lameduck lint: cannot write .*app\.yaml: EACCES/);
  assert.doesNotMatch(refused.stderr, stackTrace);
  assert.equal(await readFile(file, 'utf8'), overBudgetManifest, 'the file is as it was');
  assert.equal((await stat(file)).mode & 0o7777, 0o444);
  if (!isRoot) return;
  const fixed = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.equal(await readFile(file, 'utf8'), cleanLameduckManifest);
  assert.equal((await stat(file)).mode & 0o7777, 0o444, 'still read-only');
});

test('--fix through a symbolic link fixes its target and keeps the link', async (t) => {
  const dir = await lintTempDir(t);
  await mkdir(path.join(dir, 'real'));
  const target = path.join(dir, 'real', 'app.yaml');
  const linkFile = path.join(dir, 'app.yaml');
  await writeFile(target, overBudgetManifest);
  await symlink(path.join('real', 'app.yaml'), linkFile);
  const run = await runLameduckCli(['lint', '--fix', linkFile]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.ok((await lstat(linkFile)).isSymbolicLink(), 'still a link');
  assert.equal(await readlink(linkFile), path.join('real', 'app.yaml'));
  assert.equal(await readFile(target, 'utf8'), cleanLameduckManifest);
});

test('--fix refuses a file with another hard link, which a new file would leave unfixed', async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'app.yaml');
  const other = path.join(dir, 'other-name.yaml');
  await writeFile(file, overBudgetManifest);
  await link(file, other);
  const run = await runLameduckCli(['lint', '--fix', file]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /cannot write .*app\.yaml: .* has 2 hard links/);
  assert.equal(await readFile(file, 'utf8'), overBudgetManifest);
  assert.equal((await stat(file)).ino, (await stat(other)).ino, 'still one file');
});

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

test('--fix in a directory the user may not write: a message and exit 1, the file unchanged', async (t) => {
  const dir = await lintTempDir(t);
  const readOnly = path.join(dir, 'read-only');
  await mkdir(readOnly);
  const file = path.join(readOnly, 'app.yaml');
  await writeFile(file, overBudgetManifest);
  await chmod(readOnly, 0o555);
  // Restored before the temporary directory is removed, which a user could not do in it.
  const run = await runLameduckCli(['lint', '--fix', file], '', { unprivileged: true }).finally(
    () => chmod(readOnly, 0o755),
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /lameduck lint: cannot write .*app\.yaml: EACCES/);
  assert.doesNotMatch(run.stderr, stackTrace);
  assert.equal(await readFile(file, 'utf8'), overBudgetManifest);
});
