/**
 * Three example gRPC servers behind a round_robin grpc-js channel (static address list) under a
 * steady unary load of 300 calls/s with a 50 ms handler: one gets SIGTERM and leaves without a
 * failed call, with exit code 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGrpcPods, startUnaryLoad } from '../helpers/grpc-pods.js';
import { waitUntil } from '../helpers/wait-until.js';

test('SIGTERM to one of three round_robin servers under load: zero failed calls, exit 0', async (t) => {
  const pods = await startGrpcPods(t, 3, { LAMEDUCK_GRACE_PERIOD_SECONDS: '10' });
  const load = await startUnaryLoad(t, pods, { ratePerSecond: 300, handlerDelayMs: 50 });
  const [leaving, ...staying] = pods as [(typeof pods)[0], ...typeof pods];

  leaving.child.kill('SIGTERM');
  const exit = await leaving.exited;
  // The others keep answering after it is gone.
  const servedBy = (pid: number) => load.byPid.get(String(pid)) ?? 0;
  const before = staying.map((pod) => servedBy(pod.pid));
  await waitUntil('the others to answer 100 more calls each', () =>
    staying.every((pod, i) => servedBy(pod.pid) > (before[i] ?? 0) + 100),
  );
  const report = await load.stop();

  assert.equal(exit.code, 0, `exit code; stderr:\n${leaving.stderr()}`);
  assert.deepEqual(report.failures, [], 'failed calls');
  assert.equal(report.cutOffAtStop, 0);
  assert.ok(servedBy(leaving.pid) > 30, 'the leaving server had its share before');
  const stopped = await leaving.waitForLine((l) => l.event === 'stopped');
  assert.equal(stopped.exitCode, 0);
  const lameDuck = await leaving.waitForLine((l) => l.event === 'lame-duck-ended');
  t.diagnostic(
    `lame duck ${lameDuck.reason} after ${lameDuck.waitedMs} ms; shutdown ${stopped.shutdownMs} ms; ${report.sent} calls`,
  );
});
