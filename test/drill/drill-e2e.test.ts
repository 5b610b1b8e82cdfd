/**
 * `lameduck drill` end to end, through its CLI, with small services of ours in two languages and
 * a lameduck service:
 *
 * 1. Node and Python HTTP services that die at SIGTERM lose requests in a rolling update on the
 *    Service path (exit 1); their graceful forms lose none (exit 0), every old pod exiting 0.
 * 2. A lameduck gRPC service that registers itself in etcd, over every scenario on both paths
 *    with lameduck's client: the rolling update and the node drain lose nothing on either path;
 *    the node crash and the node hang fail calls on the Service path, which lameduck's client
 *    (keepalive, retries on another server) removes on the etcd path.
 * 3. The JSON results have the documented shape.
 * 4. With --netns (root), pods in network namespaces of their own bind 0.0.0.0 on one port; a
 *    crashed node goes silent without traffic leaving the machine; nothing is left afterwards.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ScenarioSummary } from '../../src/drill/report/scenario-summary.js';
import { runLameduckCli } from '../helpers/lameduck-cli.js';
import { lintTempDir } from '../helpers/lint-kit.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/drill/${name}`, import.meta.url));
const drillTimeoutMs = 240_000;
// Short node timeouts: a NotReady node after 3 s, its pods evicted 2 s later.
const quickNodes = [
  '--node-monitor-grace',
  '3',
  '--toleration-seconds',
  '2',
  '--hang-seconds',
  '5',
];

/** Runs a drill with `args`; returns its exit code, output and JSON results. */
async function drill(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const dir = await lintTempDir(t);
  const json = path.join(dir, 'results.json');
  const run = await runLameduckCli(
    ['drill', ...args, '--before-seconds', '2', '--after-seconds', '1', '--json', json],
    '',
    { timeoutMs: drillTimeoutMs, env },
  );
  let scenarios: ScenarioSummary[] = [];
  try {
    scenarios = (JSON.parse(await readFile(json, 'utf8')) as { scenarios: ScenarioSummary[] })
      .scenarios;
  } catch {
    // No results: the run failed; the assertions show its output.
  }
  const find = (name: string, trafficPath = 'service') => {
    const found = scenarios.find((s) => s.name === name && s.path === trafficPath);
    assert.ok(
      found,
      `${name} on ${trafficPath}: no results; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`,
    );
    return found;
  };
  return { ...run, scenarios, find };
}

const httpServices = [
  { language: 'Node', run: `${process.execPath} ${fixture('http-service.mjs')}` },
  { language: 'Python', run: `/usr/bin/python3 ${fixture('http_service.py')}` },
];

for (const { language, run } of httpServices) {
  test(`${language}: a service that dies at SIGTERM loses requests in a rolling update; a graceful one none`, {
    timeout: drillTimeoutMs * 2,
  }, async (t) => {
    // 1. 200 requests/s taking 50 ms each: about ten in flight when a pod dies.
    const common = [
      fixture('http-deployment.yaml'),
      '--run',
      run,
      '--http',
      'GET /',
      '--rate',
      '200',
      '--scenario',
      'rolling-update',
      '--env',
      'DELAY_MS=50',
    ];
    const naive = await drill(t, [...common, '--env', 'MODE=naive']);
    const lost = naive.find('rolling-update');
    assert.equal(naive.code, 1, naive.stderr);
    assert.ok(lost.failed > 0, JSON.stringify(lost.failures));
    assert.ok(
      lost.pods.every((p) => p.signal === 'SIGTERM'),
      JSON.stringify(lost.pods),
    );

    const graceful = await drill(t, [...common, '--env', 'MODE=graceful']);
    const kept = graceful.find('rolling-update');
    assert.equal(graceful.code, 0, `${graceful.stdout}\n${graceful.stderr}`);
    assert.equal(kept.failed, 0, JSON.stringify(kept.failures));
    assert.equal(kept.pods.length, 3);
    assert.ok(
      kept.pods.every((p) => p.exitCode === 0 && !p.killed),
      JSON.stringify(kept.pods),
    );
    t.diagnostic(
      `${language}: naive lost ${lost.failed} of ${lost.sent}; graceful lost 0 of ${kept.sent}`,
    );
  });
}

test('a lameduck gRPC service over every scenario: the etcd path with lameduck’s client loses nothing', {
  timeout: drillTimeoutMs,
}, async (t) => {
  // 2.
  const results = await drill(t, [
    fixture('grpc-deployment.yaml'),
    '--run',
    `${process.execPath} --import tsx ${fileURLToPath(new URL('../fixtures/grpc-echo-server.ts', import.meta.url))}`,
    '--grpc',
    `${fileURLToPath(new URL('../fixtures/grpc/echo.proto', import.meta.url))}:lameduck.example.v1.Echo/Unary`,
    '--request',
    '{"message":"drill","delay_ms":20}',
    '--rate',
    '150',
    '--path',
    'both',
    '--registry-prefix',
    'echo',
    ...quickNodes,
  ]);
  for (const name of ['rolling-update', 'node-drain']) {
    for (const trafficPath of ['service', 'etcd']) {
      const summary = results.find(name, trafficPath);
      assert.equal(
        summary.failed,
        0,
        `${name} ${trafficPath}: ${JSON.stringify(summary.failures)}`,
      );
    }
  }
  for (const name of ['node-crash', 'node-hang']) {
    const service = results.find(name, 'service');
    const etcd = results.find(name, 'etcd');
    assert.ok(service.failed > 0, `${name}: the Service path lost nothing`);
    assert.equal(etcd.failed, 0, `${name} etcd: ${JSON.stringify(etcd.failures)}`);
    t.diagnostic(
      `${name}: Service path lost ${service.failed} (${JSON.stringify(service.failures)}), etcd path 0`,
    );
  }
  assert.equal(results.code, 1, 'calls failed on the Service path');
  const rollout = results.find('rolling-update');
  assert.ok(
    rollout.pods.every((p) => p.exitCode === 0 && !p.killed),
    JSON.stringify(rollout.pods),
  );

  // 3.
  const drain = results.find('node-drain', 'etcd');
  assert.deepEqual(Object.keys(drain).sort(), [
    'events',
    'failed',
    'failureExamples',
    'failures',
    'latencyMs',
    'name',
    'notes',
    'path',
    'pods',
    'rolloutMs',
    'sent',
    'slowestPodExitMs',
    'streams',
    'timeline',
  ]);
  assert.ok(drain.latencyMs.before.p50 !== null && drain.latencyMs.during.p99 !== null);
  assert.ok(drain.timeline.length > 20);
  assert.ok(drain.timeline.every((step) => step.sent >= 0 && typeof step.phases === 'object'));
  assert.ok(drain.events.some((e) => e.kind === 'sigterm'));
  assert.ok(drain.events.some((e) => e.kind === 'cordoned'));
  assert.ok(drain.pods.every((p) => p.deletedAtMs !== null && p.exitedAtMs !== null));
});

test('--netns: pods in namespaces of their own bind 0.0.0.0 on one port; nothing is left after', {
  timeout: drillTimeoutMs,
}, async (t) => {
  // 4. Three pods of a service that binds 0.0.0.0:8080, each in its own network namespace.
  const before = await networkState();
  const results = await drill(t, [
    fixture('http-deployment.yaml'),
    '--run',
    `${process.execPath} ${fixture('http-service.mjs')}`,
    '--env',
    'MODE=graceful',
    '--env',
    'LISTEN_HOST=0.0.0.0',
    '--http',
    'GET /',
    '--rate',
    '100',
    '--scenario',
    'rolling-update,node-crash',
    '--netns',
    ...quickNodes,
  ]);
  const rollout = results.find('rolling-update');
  assert.equal(rollout.failed, 0, JSON.stringify(rollout.failures));
  assert.ok(
    rollout.pods.every((p) => p.exitCode === 0),
    JSON.stringify(rollout.pods),
  );
  // A crashed node's pods go silent: nothing reaches beyond the namespaces (no answer from
  // anywhere else, such as an HTTP 403 from a proxy on the default route).
  const crash = results.find('node-crash');
  assert.ok(
    Object.keys(crash.failures).every((cause) => !cause.startsWith('HTTP')),
    JSON.stringify(crash.failures),
  );
  assert.deepEqual(await networkState(), before, 'namespaces, addresses or routes left behind');
});

/** The machine's network namespaces, and its 198.18.0.0/15 addresses and routes. */
async function networkState(): Promise<string> {
  const { execFile } = await import('node:child_process');
  const ip = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('ip', args, (error, stdout) => (error === null ? resolve(stdout) : reject(error))),
    );
  const lines = [
    await ip('netns', 'list'),
    await ip('-4', 'addr', 'show', 'dev', 'lo'),
    await ip('route'),
  ]
    .join('\n')
    .split('\n')
    .filter((line) => /198\.1[89]\.|^ld\d+p/.test(line));
  return lines.join('\n');
}
