/**
 * `lameduck drill` with bad input: one clear line on stderr, exit 2, and no process of the run
 * left behind; and an interrupted drill stops every process it started, etcd included.
 *
 * 1. A manifest that does not parse: its file and line.
 * 2. No Deployment or StatefulSet among the manifests.
 * 3. A command that exits as it starts: its last stderr lines.
 * 4. A command that never opens the Service's port (within the start timeout).
 * 5. No etcd binary for the etcd path.
 * 6. A proto file or method that does not exist; traffic given twice or not at all.
 * 7. SIGTERM in the middle of a run: exit 130, every process it started gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { lintTempDir } from '../helpers/lint-kit.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/drill/${name}`, import.meta.url));
const deployment = fixture('http-deployment.yaml');
const proto = fileURLToPath(new URL('../fixtures/grpc/echo.proto', import.meta.url));

/** The pids of processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (commandLine.includes(marker)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Runs a drill expected to refuse its input; checks exit 2, one line, and no pod left. */
async function refused(
  t: TestContext,
  args: string[],
  pattern: RegExp,
  env: Record<string, string> = {},
) {
  const marker = `drill-input-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const withMarker = args.map((a) => a.replace('MARKER', marker));
  const run = await runLameduckCli(['drill', ...withMarker], '', { timeoutMs: 60_000, env });
  assert.equal(run.code, 2, `exit ${run.code}; stderr:\n${run.stderr}`);
  assert.match(run.stderr, pattern);
  // Progress lines may come first; the refusal is one line, starting the last.
  const refusal = run.stderr.slice(run.stderr.lastIndexOf('\nlameduck ') + 1);
  assert.match(refusal, /^lameduck (drill|etcd): /, run.stderr);
  assert.deepEqual(await processesWith(marker), [], 'processes left behind');
  t.diagnostic(refusal.split('\n')[0] ?? '');
}

const nodeService = `${process.execPath} ${fixture('http-service.mjs')} --MARKER`;
const http = ['--http', 'GET /'];

test('a manifest that does not parse is named with its line', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 1.
  const dir = await lintTempDir(t);
  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n');
  await refused(t, [bad, '--run', nodeService, ...http], /bad\.yaml:\d+: /);
});

test('manifests without a Deployment or StatefulSet are refused', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 2.
  const dir = await lintTempDir(t);
  const serviceOnly = path.join(dir, 'service.yaml');
  await writeFile(
    serviceOnly,
    'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web } }\n',
  );
  await refused(
    t,
    [serviceOnly, '--run', nodeService, ...http],
    /no Deployment or StatefulSet among the manifests \(found Service\)/,
  );
});

test('a command that exits as it starts is refused with its last stderr lines', {
  timeout: 60_000,
}, async (t) => {
  // 3.
  await refused(
    t,
    [
      deployment,
      '--run',
      `${process.execPath} -e "console.error('boom: no config'); process.exit(3)" MARKER`,
      ...http,
    ],
    /the command exited with code 3 as it started; its last lines on stderr:\nboom: no config/,
  );
});

test('a command that never opens the Service’s port is refused', { timeout: 60_000 }, async (t) => {
  // 4.
  await refused(
    t,
    [
      deployment,
      '--run',
      `${process.execPath} -e "setInterval(() => {}, 1000)" MARKER`,
      ...http,
      '--start-timeout-seconds',
      '3',
    ],
    /never opened port 8080 on its address 127\.\d+\.\d+\.\d+ within 3 s/,
  );
});

test('the etcd path without an etcd binary is refused', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  // 5. A PATH with no etcd on it; the command is given by its absolute path.
  await refused(t, [deployment, '--run', nodeService, ...http, '--path', 'etcd'], /etcd/, {
    PATH: '/nonexistent',
  });
});

test('a proto or method that does not exist, and traffic given twice or not at all, are refused', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 6.
  await refused(
    t,
    [deployment, '--run', nodeService, '--grpc', '/nonexistent.proto:a.B/C'],
    /cannot load \/nonexistent\.proto/,
  );
  await refused(
    t,
    [deployment, '--run', nodeService, '--grpc', `${proto}:lameduck.example.v1.Echo/Nope`],
    /lameduck\.example\.v1\.Echo has no method 'Nope' \(it has Unary, ServerStream, Bidi\)/,
  );
  await refused(
    t,
    [
      deployment,
      '--run',
      nodeService,
      ...http,
      '--grpc',
      `${proto}:lameduck.example.v1.Echo/Unary`,
    ],
    /one of them/,
  );
  await refused(t, [deployment, '--run', nodeService], /one of them/);
});

test('SIGTERM in the middle of a drill stops every process it started, etcd included', {
  timeout: 90_000,
}, async () => {
  // 7. The HTTP service does not register in etcd: the drill waits there, with etcd and three
  // pods running, when the signal comes.
  const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      'drill',
      deployment,
      '--run',
      nodeService.replace('MARKER', 'interrupted'),
      ...http,
      '--path',
      'both',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const descendants = new Set<number>();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.stderr.setEncoding('utf8');
  // Wait until every pod is ready, collecting the drill's process tree meanwhile.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress; stderr:\n${stderr}`)), 60_000);
    child.stderr.on('data', async (chunk: string) => {
      stderr += chunk;
      for (const pid of await descendantsOf(child.pid ?? -1)) descendants.add(pid);
      if (/3 ready/.test(stderr) && descendants.size >= 5) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGTERM: stopping every process it started/);
  const alive = [...descendants].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], `left running: ${alive.join(', ')}`);
});

/** Every process below `pid` now, from /proc's parent links. */
async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop() as number;
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}
