/**
 * 4. A unary call that outlives the budget is forced: the caller gets UNAVAILABLE (not
 *    CANCELLED), the process exits 1 before the grace period ends, and the log names the call.
 * 5. A client in another gRPC implementation (C-core through Debian's python3-grpcio) calls two
 *    servers round robin while one gets SIGTERM, and sees no failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { waitForInFlight } from '../helpers/admin-in-flight.js';
import { startChildProcess } from '../helpers/child-service.js';
import { createEchoClient } from '../helpers/grpc-echo.js';
import { startGrpcPods, staticTarget } from '../helpers/grpc-pods.js';

const pythonClient = fileURLToPath(new URL('../fixtures/grpc_echo_client.py', import.meta.url));

test('a unary call outliving the budget: UNAVAILABLE to the caller, exit 1 in time, call logged', async (t) => {
  // Grace 3 s with a 1 s margin: a 2 s budget; the call wants 20 s.
  const [pod] = await startGrpcPods(t, 1, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '3',
    LAMEDUCK_SAFETY_MARGIN_MS: '1000',
    LAMEDUCK_MIN_LAME_DUCK_MS: '200',
  });
  assert.ok(pod);
  const echo = createEchoClient(`127.0.0.1:${pod.port}`);
  t.after(() => echo.close());
  const slow = new Promise<ServiceError | null>((resolve) => {
    echo.Unary({ message: 'slow', delay_ms: 20_000 }, (error) => resolve(error));
  });
  await waitForInFlight(pod.adminPort, 1);

  const sigtermAtMs = performance.now();
  pod.child.kill('SIGTERM');
  const exit = await pod.exited;
  const exitAfterMs = exit.atMs - sigtermAtMs;

  assert.equal(exit.code, 1);
  assert.ok(
    exitAfterMs >= 2000 && exitAfterMs < 3000,
    `exited after ${Math.round(exitAfterMs)} ms`,
  );
  const error = await slow;
  assert.equal(error?.code, GrpcStatus.UNAVAILABLE, `caller saw ${error?.code} ${error?.details}`);
  assert.match(error?.details ?? '', /server is shutting down/);
  const stopped = await pod.waitForLine((l) => l.event === 'participant-stopped');
  assert.equal(stopped.forced, true);
  assert.match(
    String((stopped.forcedWork as string[])[0]),
    /^\/lameduck\.example\.v1\.Echo\/Unary from 127\.0\.0\.1:\d+ in flight for \d+ ms$/,
  );
});

test('a python3-grpcio client through a SIGTERM to one of two servers sees no failure', async (t) => {
  const pods = await startGrpcPods(t, 2, { LAMEDUCK_GRACE_PERIOD_SECONDS: '10' });
  const [leaving] = pods;
  assert.ok(leaving);
  const client = startChildProcess(
    '/usr/bin/python3',
    [pythonClient, staticTarget(pods), '200', '20'],
    {},
    { stdin: 'pipe' },
  );
  t.after(() => client.kill());
  const nextLine = (event: string) => client.waitForLine((l) => l.event === event);

  await nextLine('client-started');
  leaving.child.kill('SIGTERM');
  const exit = await leaving.exited;
  client.child.stdin?.end();
  const report = await nextLine('client-report');

  assert.equal(exit.code, 0, `server exit code; stderr:\n${leaving.stderr()}`);
  assert.deepEqual(report.failures, [], 'failed calls');
  const byPid = report.by_pid as Record<string, number>;
  for (const pod of pods) assert.ok((byPid[String(pod.pid)] ?? 0) > 0, `pod ${pod.pid} answered`);
  assert.equal(report.succeeded, report.sent);
});
