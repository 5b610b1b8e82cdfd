/**
 * Long-lived calls and the health service through a real SIGTERM, in a child process.
 *
 * 2. Open server streams, a bidi stream and a health Watch: the handlers that listen to the drain
 *    signal send a last message and end with OK; the one that ignores it is ended with UNAVAILABLE
 *    after streamGraceMs; the Watch gets NOT_SERVING then its end; exit 0 well before the budget;
 *    no client sees CANCELLED.
 * 3. Health answers NOT_SERVING (whole server and per service) from the trigger on, while unary
 *    calls are still served; Watch subscribers see the change, then the end of the stream.
 * 4. A grpc-js caller with keepalive whose connection carries a stream and unary calls through
 *    the shutdown loses nothing: no GOAWAY while calls are open on it (a call started once the
 *    port is closed is refused before it is sent, and only that).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { etcdChannelOptions } from '../../src/grpc/etcd-resolver.js';
import type { HealthCheckResponse } from '../../src/grpc/health-proto.js';
import { createEchoClient, type EchoReply, observeStream } from '../helpers/grpc-echo.js';
import { createHealthClient } from '../helpers/grpc-health-client.js';
import { startGrpcPods } from '../helpers/grpc-pods.js';

const streamGraceMs = 600;

test('streams told to end finish OK, an ignoring one ends UNAVAILABLE after streamGraceMs, Watch ends', async (t) => {
  const [pod] = await startGrpcPods(t, 1, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '20',
    LAMEDUCK_MIN_LAME_DUCK_MS: '200',
    FIXTURE_STREAM_GRACE_MS: String(streamGraceMs),
  });
  assert.ok(pod);
  const target = `127.0.0.1:${pod.port}`;
  const echo = createEchoClient(target);
  const health = createHealthClient(target);
  t.after(() => {
    echo.close();
    health.close();
  });

  const polite = [1, 2].map(() =>
    observeStream<EchoReply>(echo.ServerStream({ interval_ms: 20, ignore_drain: false })),
  );
  const ignoring = observeStream<EchoReply>(
    echo.ServerStream({ interval_ms: 20, ignore_drain: true }),
  );
  const bidiCall = echo.Bidi();
  const bidi = observeStream<EchoReply>(bidiCall);
  bidiCall.write({ message: 'hello', delay_ms: 0 });
  const watch = observeStream<HealthCheckResponse>(health.watch(''));
  await Promise.all([
    ...[...polite, ignoring].map((s) => s.waitForMessage((m) => m.seq >= 2)),
    bidi.waitForMessage((m) => m.message === 'hello'),
    watch.waitForMessage((m) => m.status === 'SERVING'),
  ]);

  const sigtermAtMs = performance.now();
  pod.child.kill('SIGTERM');
  const exit = await pod.exited;
  const shutdownMs = exit.atMs - sigtermAtMs;

  for (const stream of [...polite, bidi]) {
    const status = await stream.status;
    assert.equal(status.code, GrpcStatus.OK, `a stream told to end: ${status.details}`);
    assert.equal(stream.messages.at(-1)?.last, true, "its last message is the handler's goodbye");
  }
  const ignored = await ignoring.status;
  assert.equal(ignored.code, GrpcStatus.UNAVAILABLE);
  assert.match(ignored.details, /server is shutting down/);

  const watchStatus = await watch.status;
  assert.equal(watchStatus.code, GrpcStatus.OK);
  assert.deepEqual(
    watch.messages.map((m) => m.status),
    ['SERVING', 'NOT_SERVING'],
  );

  assert.equal(exit.code, 0, `exit code; stderr:\n${pod.stderr()}`);
  // Budget 18 s; lame duck 200 ms minimum plus a 500 ms quiet floor, then the stream grace.
  assert.ok(shutdownMs < 4000, `shut down in ${Math.round(shutdownMs)} ms`);
  const stopped = await pod.waitForLine(
    (l) => l.event === 'participant-stopped' && l.name === 'grpc',
  );
  assert.equal(stopped.forced, false);
  assert.deepEqual(
    (stopped.cutShort as string[]).map((w) => w.split(' ')[0]),
    ['/lameduck.example.v1.Echo/ServerStream'],
  );
  const drainingAt = await pod.waitForLine(
    (l) => l.event === 'phase-changed' && l.to === 'draining',
  );
  const stoppedAt = await pod.waitForLine((l) => l.event === 'phase-changed' && l.to === 'stopped');
  const drainMs = Date.parse(String(stoppedAt.time)) - Date.parse(String(drainingAt.time));
  assert.ok(drainMs >= streamGraceMs - 5, `drain took ${drainMs} ms, grace is ${streamGraceMs}`);
});

test('health turns NOT_SERVING at the trigger while calls are served; Watch sees it, then ends', async (t) => {
  const [pod] = await startGrpcPods(t, 1, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '20',
    // Long enough to probe during lame duck.
    LAMEDUCK_MIN_LAME_DUCK_MS: '3000',
  });
  assert.ok(pod);
  const target = `127.0.0.1:${pod.port}`;
  const echo = createEchoClient(target);
  const probe = createHealthClient(target, 'kube-probe/1.31');
  t.after(() => {
    echo.close();
    probe.close();
  });
  const service = 'lameduck.example.v1.Echo';
  assert.equal(await probe.check(''), 'SERVING');
  assert.equal(await probe.check(service), 'SERVING');
  await assert.rejects(
    probe.check('no.such.Service'),
    (e: { code: number }) => e.code === GrpcStatus.NOT_FOUND,
  );
  assert.deepEqual(await probe.list(), {
    statuses: { '': { status: 'SERVING' }, [service]: { status: 'SERVING' } },
  });
  const watches = ['', service].map((s) => observeStream<HealthCheckResponse>(probe.watch(s)));
  const unknownWatch = observeStream<HealthCheckResponse>(probe.watch('no.such.Service'));
  await Promise.all(watches.map((w) => w.waitForMessage((m) => m.status === 'SERVING')));
  await unknownWatch.waitForMessage((m) => m.status === 'SERVICE_UNKNOWN');

  const sigtermAtMs = performance.now();
  pod.child.kill('SIGTERM');
  await Promise.all(watches.map((w) => w.waitForMessage((m) => m.status === 'NOT_SERVING')));
  const noticedMs = performance.now() - sigtermAtMs;
  assert.equal(await probe.check(''), 'NOT_SERVING');
  assert.equal(await probe.check(service), 'NOT_SERVING');
  // Still in lame duck: calls are served.
  const reply = await new Promise<EchoReply>((resolve, reject) => {
    echo.Unary({ message: 'still there?', delay_ms: 0 }, (error, r) =>
      error === null ? resolve(r) : reject(error),
    );
  });
  assert.equal(reply.pid, pod.pid);
  assert.ok(
    pod.lines.every((l) => l.event !== 'phase-changed' || l.to !== 'draining'),
    'checked during lame duck',
  );
  // Well inside the 3 s minimum wait: the change comes with the trigger, not with the drain.
  assert.ok(noticedMs < 1000, `Watch saw NOT_SERVING ${Math.round(noticedMs)} ms after SIGTERM`);

  for (const watch of [...watches, unknownWatch]) {
    assert.equal((await watch.status).code, GrpcStatus.OK);
  }
  assert.deepEqual(
    watches.map((w) => w.messages.map((m) => m.status)),
    [
      ['SERVING', 'NOT_SERVING'],
      ['SERVING', 'NOT_SERVING'],
    ],
  );
  assert.equal((await pod.exited).code, 0);
});

test('a caller with lameduck’s keepalive keeps its stream and calls through a shutdown: OK, nothing dropped', async (t) => {
  // 4. One connection carries a server stream and a steady run of unary calls, with the 500 ms
  // keepalive of etcdChannelOptions. The lame duck lasts past its minimum (the calls keep it
  // busy): a GOAWAY sent then would make grpc-js drop every call open on the connection at its
  // next keepalive ping. The stream must end OK with its last message; no call may fail but one
  // started once the server had closed its port.
  const [pod] = await startGrpcPods(t, 1, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '20',
    LAMEDUCK_MIN_LAME_DUCK_MS: '500',
    LAMEDUCK_MAX_LAME_DUCK_MS: '2500',
  });
  assert.ok(pod);
  const echo = createEchoClient(`127.0.0.1:${pod.port}`, etcdChannelOptions);
  t.after(() => echo.close());
  const stream = observeStream<EchoReply>(
    echo.ServerStream({ interval_ms: 50, ignore_drain: false }),
  );
  await stream.waitForMessage(() => true);
  // How each call ended, in order: 'OK' or the failure.
  const outcomes: string[] = [];
  let calling = true;
  const callLoop = (async () => {
    while (calling) {
      const outcome = await new Promise<string>((resolve) =>
        echo.Unary({ message: 'busy', delay_ms: 20 }, (error) =>
          resolve(error === null ? 'OK' : `${GrpcStatus[error.code]} ${error.details}`),
        ),
      );
      outcomes.push(outcome);
      if (outcome !== 'OK') return;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  pod.child.kill('SIGTERM');
  await stream.waitForMessage((m) => m.last === true);
  calling = false;
  const status = await stream.status;
  await callLoop;
  assert.equal((await pod.exited).code, 0);
  assert.equal(status.code, GrpcStatus.OK, `${status.code} ${status.details}`);
  assert.equal(stream.messages.at(-1)?.last, true, 'the last message said goodbye');
  // Every call is answered, but the loop may start one more call after the stream's goodbye was
  // sent and before the test reads it. Once the server has closed its last connection and its
  // port, that call can only be refused before it is sent (a caller with one server has nowhere
  // else to go). A refusal is the port closed (ECONNREFUSED), so the drain had begun and the
  // stream had ended; a call dropped from a connection fails otherwise. The loop stops at the
  // first failure, so any failure is the last outcome.
  const refusedAfterGoodbye = outcomes.at(-1) === 'OK' ? undefined : outcomes.pop();
  if (refusedAfterGoodbye !== undefined) {
    assert.match(refusedAfterGoodbye, /^UNAVAILABLE .*ECONNREFUSED/);
  }
  assert.ok(outcomes.length > 20, `${outcomes.length} calls answered`);
});
