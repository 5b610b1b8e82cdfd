/**
 * `lameduck drill` through its CLI, with a lameduck gRPC service that registers itself in etcd:
 *
 * 2. Over every scenario on both paths with lameduck's client: the rolling update and the node
 *    drain lose nothing on either path; the node crash and the node hang fail calls on the
 *    Service path, which lameduck's client (keepalive, retries on another server) removes on the
 *    etcd path.
 * 3. The JSON results have the documented shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { drill, drillTimeoutMs, fixture, quickNodes } from '../helpers/drill-run.js';

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
