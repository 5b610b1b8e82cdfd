/**
 * `lameduck drill` through its CLI, with the tests' lameduck gRPC service registered in etcd, on
 * both paths with lameduck's client:
 *
 * 2b. A node crash and a node hang fail calls on the Service path (a Service cannot tell a dead
 *     or hung pod before the node is NotReady), which lameduck's client (keepalive, retries on
 *     another server) removes on the etcd path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drillLameduckGrpc, drillTimeoutMs } from '../helpers/drill-run.js';

test('a node crash and a node hang fail calls through a Service, none through etcd with lameduck’s client', {
  timeout: drillTimeoutMs + 20_000,
}, async (t) => {
  // 2b.
  const results = await drillLameduckGrpc(t, 'node-crash,node-hang');
  for (const name of ['node-crash', 'node-hang']) {
    const service = results.find(name, 'service');
    const etcd = results.find(name, 'etcd');
    assert.ok(service.failed > 0, `${name}: the Service path lost nothing`);
    assert.equal(
      etcd.failed,
      0,
      `${name} etcd: ${JSON.stringify(etcd.failures)} ${JSON.stringify(etcd.failureExamples)}`,
    );
    t.diagnostic(
      `${name}: Service path lost ${service.failed} (${JSON.stringify(service.failures)}), etcd path 0`,
    );
  }
  assert.equal(results.code, 1, 'calls failed on the Service path');
});
