/**
 * `lameduck drill` through its CLI, with the tests' lameduck gRPC service registered in etcd, on
 * both paths with lameduck's client:
 *
 * 2a. A rolling update and a node drain lose nothing on either path; every old pod exits 0.
 * 3. The JSON results have the documented shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drillLameduckGrpc, drillTimeoutMs } from '../helpers/drill-run.js';

test('a lameduck gRPC service through a rolling update and a node drain loses nothing on either path', {
  timeout: drillTimeoutMs + 20_000,
}, async (t) => {
  // 2a.
  const results = await drillLameduckGrpc(t, 'rolling-update,node-drain');
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
  assert.equal(results.code, 0, results.stderr);
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
