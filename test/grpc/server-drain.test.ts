/**
 * drainGrpcServer and its health service in process, with a real grpc-js server, clients and
 * sockets.
 *
 * 1. Options that cannot work are refused with `invalid_config`, naming the setting.
 * 2. A bind that fails (port taken) makes the lifecycle's start reject, naming the address.
 * 3. Health probes are served but are not traffic; calls are counted per method on /metrics.
 * 4. At the nudge an idle connection gets the final GOAWAY; a busy one gets none until its last
 *    call ends (grpc-js callers with keepalive drop the calls of a connection that got one);
 *    connections opened later are closed after their first call, which is served.
 * 5. After stop the port is closed and no call is left.
 * 6. With TLS credentials, calls are counted and the drain ends cleanly.
 * 7. Calls reset by the caller before grpc-js starts them are not left in flight.
 * 8. A stream that ignores the drain signal and writes as fast as it can is ended with
 *    UNAVAILABLE after streamGraceMs: its later writes are dropped, the drain does not hang.
 * 9. A connection whose peer never closes is destroyed a second after the last call, and said so.
 * 10. Interceptors the credentials already carry (an auth check) keep working.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { type AddressInfo, connect as createConnectionTo, createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  credentials,
  experimental,
  status as GrpcStatus,
  Metadata,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { drainGrpcServer } from '../../src/grpc/index.js';
import {
  createLifecycle,
  type LameduckError,
  type LifecycleEvent,
  type Logger,
  type Participant,
  type TrafficSource,
} from '../../src/index.js';
import {
  createEchoClient,
  type EchoReply,
  echoMethods,
  echoService,
  observeStream,
} from '../helpers/grpc-echo.js';
import { createHealthClient } from '../helpers/grpc-health-client.js';
import { createTestCertificate } from '../helpers/tls-cert.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function echoServer(interceptors: ServerInterceptor[] = []): Server {
  const server = new Server({ interceptors });
  server.addService(echoService, {
    Unary(call: { request: { message: string } }, callback: (e: null, r: EchoReply) => void) {
      callback(null, { message: call.request.message, pid: process.pid, seq: 0, last: false });
    },
    // Ignores the drain signal and writes whenever the stream takes more.
    ServerStream(call: ServerWritableStream<unknown, EchoReply>) {
      let seq = 0;
      const pump = (): void => {
        while (!call.cancelled) {
          const reply = { message: 'flood', pid: process.pid, seq: seq++, last: false };
          if (!call.write(reply)) return;
        }
      };
      call.on('drain', pump);
      pump();
    },
  });
  return server;
}

function unary(client: ReturnType<typeof createEchoClient>, message: string): Promise<EchoReply> {
  return new Promise((resolve, reject) => {
    client.Unary({ message, delay_ms: 0 }, (error, reply) =>
      error === null ? resolve(reply) : reject(error),
    );
  });
}

/**
 * A participant whose traffic keeps arriving until `release()`: it holds the lame duck open for
 * as long as a test's steps take, however slow the machine, and lets it end one quiet floor
 * after the release. Its rate makes the quiet period the floor.
 */
function lameDuckHold(): { participant: Participant & TrafficSource; release(): void } {
  let releasedAtMs: number | undefined;
  return {
    participant: {
      name: 'test-hold',
      start() {},
      stop() {},
      traffic: {
        inFlight: 0,
        totalArrivals: 0,
        get lastArrivalAtMs() {
          return releasedAtMs ?? performance.now();
        },
        arrivalsPerSecond: () => 1000,
      },
    },
    release() {
      releasedAtMs ??= performance.now();
    },
  };
}

/** A started lifecycle with one gRPC participant on a free loopback port. */
async function startedServer(
  t: TestContext,
  lameDuck: { minMs: number; maxMs: number; gracePeriodSeconds?: number } = {
    minMs: 0,
    maxMs: 300,
  },
  serverCredentials = ServerCredentials.createInsecure(),
  interceptors: ServerInterceptor[] = [],
  ...alongside: Participant[]
) {
  const server = echoServer(interceptors);
  const drain = drainGrpcServer(server, {
    address: '127.0.0.1:0',
    streamGraceMs: 100,
    credentials: serverCredentials,
  });
  const life = createLifecycle({
    admin: false,
    logger: silent,
    gracePeriodSeconds: lameDuck.gracePeriodSeconds ?? 10,
    minLameDuckMs: lameDuck.minMs,
    maxLameDuckMs: lameDuck.maxMs,
    quietFloorMs: 100,
  }).add(drain);
  for (const participant of alongside) life.add(participant);
  await life.start();
  t.after(async () => {
    await life.shutdown();
    server.forceShutdown();
  });
  return { server, drain, life, target: `127.0.0.1:${drain.port}` };
}

test('options that cannot work are refused, naming the setting', () => {
  // 1.
  assert.throws(
    () => drainGrpcServer(new Server(), { address: '' }),
    (e: LameduckError) => e.code === 'invalid_config' && /needs an address/.test(e.message),
  );
  assert.throws(
    () => drainGrpcServer(new Server(), { address: '127.0.0.1:0', streamGraceMs: -1 }),
    (e: LameduckError) => e.code === 'invalid_config' && /streamGraceMs/.test(e.message),
  );
  const server = new Server();
  drainGrpcServer(server, { address: '127.0.0.1:0' });
  assert.throws(
    () => drainGrpcServer(server, { address: '127.0.0.1:0' }),
    (e: LameduckError) => e.code === 'invalid_config' && /health: false/.test(e.message),
  );
  assert.throws(
    () => drainGrpcServer(new Server(), { address: '127.0.0.1:0' }).port,
    (e: LameduckError) => e.code === 'invalid_state',
  );
});

test('a bind that fails makes start() reject, naming the address', async (t) => {
  // 2.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const server = echoServer();
  t.after(() => server.forceShutdown());
  const life = createLifecycle({ admin: false, logger: silent }).add(
    drainGrpcServer(server, { address: `127.0.0.1:${port}` }),
  );
  await assert.rejects(life.start(), (e: LameduckError) => {
    assert.equal(e.code, 'participant_failed');
    assert.match(
      e.message,
      new RegExp(`grpc: server 'grpc' failed to bind 127\\.0\\.0\\.1:${port}`),
    );
    return true;
  });
  assert.equal(life.phase.kind, 'stopped');
});

test('health probes are served but are not traffic; calls are counted per method', async (t) => {
  // 3.
  const { drain, life, target } = await startedServer(t);
  const probe = createHealthClient(target, 'kube-probe/1.31');
  const echo = createEchoClient(target);
  t.after(() => {
    probe.close();
    echo.close();
  });
  for (let i = 0; i < 5; i++) assert.equal(await probe.check(''), 'SERVING');
  assert.equal(drain.traffic.totalArrivals, 0);
  for (let i = 0; i < 3; i++) await unary(echo, `call ${i}`);
  assert.equal(drain.traffic.totalArrivals, 3);
  assert.equal(drain.traffic.inFlight, 0);
  const metrics = await life.registry.metrics();
  assert.match(
    metrics,
    /lameduck_grpc_calls_started_total\{participant="grpc",method="\/lameduck\.example\.v1\.Echo\/Unary"\} 3/,
  );
  assert.match(
    metrics,
    /lameduck_grpc_calls_started_total\{participant="grpc",method="\/grpc\.health\.v1\.Health\/Check"\} 5/,
  );
  assert.match(
    metrics,
    /lameduck_grpc_calls_in_flight\{participant="grpc",method="\/lameduck\.example\.v1\.Echo\/Unary"\} 0/,
  );
});

function goawayOf(session: ClientHttp2Session): Promise<number> {
  return new Promise((resolve) =>
    session.once('goaway', (_code, lastStreamId) => resolve(lastStreamId)),
  );
}

test('at the nudge idle connections are closed; a busy one only once idle; later ones after a first call', async (t) => {
  // 4. The lame duck lasts until the last step is done (the hold), not for a fixed window.
  const hold = lameDuckHold();
  // Registered first, so it runs first: a failed step must not leave the lame duck held.
  t.after(() => hold.release());
  const { drain, life, target } = await startedServer(
    t,
    { minMs: 1000, maxMs: 20_000, gracePeriodSeconds: 30 },
    undefined,
    [],
    hold.participant,
  );
  const idle = h2connect(`http://${target}`);
  idle.on('error', () => {});
  t.after(() => idle.destroy());
  await new Promise((resolve) => idle.once('remoteSettings', resolve));
  let idleClosedYet = false;
  const idleGoaway = goawayOf(idle).then((lastStreamId) => {
    idleClosedYet = true;
    return lastStreamId;
  });
  // A connection with a call open across the nudge: a request whose body is still coming.
  const busy = h2connect(`http://${target}`);
  busy.on('error', () => {});
  t.after(() => busy.destroy());
  let busyGoawayAtMs: number | undefined;
  busy.once('goaway', () => {
    busyGoawayAtMs = performance.now();
  });
  const open = busy.request({
    ':method': 'POST',
    ':path': '/lameduck.example.v1.Echo/Unary',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  const openAnswered = new Promise<Record<string, unknown>>((resolve) =>
    open.once('trailers', resolve),
  );
  open.on('data', () => {});
  const echo = createEchoClient(target);
  t.after(() => echo.close());
  await unary(echo, 'before');

  const shutdown = life.shutdown();
  // Lame duck before the nudge: still served, no GOAWAY yet.
  assert.equal((await unary(echo, 'lame duck')).message, 'lame duck');
  assert.equal(idleClosedYet, false, 'GOAWAY before the minimum wait');
  // The idle one: the final GOAWAY, nothing processed on it.
  assert.equal(await idleGoaway, 0);
  assert.equal(busyGoawayAtMs, undefined, 'a GOAWAY reached the busy connection');
  // Its call ends (an empty message): the connection is closed after it, the call answered.
  const endedAtMs = performance.now();
  open.end(Buffer.from([0, 0, 0, 0, 0]));
  assert.equal((await openAnswered)['grpc-status'], '0');
  await new Promise<void>((resolve) => {
    if (busyGoawayAtMs !== undefined) resolve();
    else busy.once('goaway', () => resolve());
  });
  assert.ok(
    (busyGoawayAtMs ?? 0) >= endedAtMs,
    'the busy connection got its GOAWAY after its call',
  );

  const later = h2connect(`http://${target}`);
  later.on('error', () => {});
  t.after(() => later.destroy());
  const laterGoaway = goawayOf(later);
  const firstCall = later.request({
    ':method': 'POST',
    ':path': '/no.such.Service/Method',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  firstCall.end();
  const firstCallHeaders = new Promise<Record<string, unknown>>((resolve) =>
    firstCall.once('response', resolve),
  );
  // Served: grpc-js answers an unknown method with UNIMPLEMENTED (12); then closed.
  assert.equal((await firstCallHeaders)['grpc-status'], '12');
  assert.equal(await laterGoaway, 1);
  // A new channel after the nudge is still served.
  const lateEcho = createEchoClient(target);
  t.after(() => lateEcho.close());
  assert.equal((await unary(lateEcho, 'after nudge')).message, 'after nudge');
  hold.release();
  idle.destroy();
  busy.destroy();
  later.destroy();
  echo.close();
  lateEcho.close();
  const result = await shutdown;
  assert.equal(result.exitCode, 0);
  assert.equal(drain.calls.size, 0);
});

test('after stop the port is closed', async (t) => {
  // 5.
  const { life, target, drain } = await startedServer(t);
  const echo = createEchoClient(target);
  await unary(echo, 'hello');
  echo.close();
  const result = await life.shutdown();
  assert.equal(result.exitCode, 0);
  assert.equal(drain.calls.size, 0);
  const refused = await new Promise<string>((resolve) => {
    const socket = createConnectionTo(drain.port, '127.0.0.1');
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
});

test('with TLS credentials, calls are counted and the drain ends cleanly', async (t) => {
  // 6. The interceptor rides on the bind's credentials, TLS ones included.
  const certificate = await createTestCertificate();
  t.after(() => certificate.cleanup());
  const tls = ServerCredentials.createSsl(null, [
    { private_key: await readFile(certificate.keyPath), cert_chain: Buffer.from(certificate.cert) },
  ]);
  const { drain, life, target } = await startedServer(t, { minMs: 0, maxMs: 300 }, tls);
  const echo = createEchoClient(target, {}, credentials.createSsl(Buffer.from(certificate.cert)));
  t.after(() => echo.close());
  assert.equal((await unary(echo, 'over tls')).message, 'over tls');
  assert.equal(drain.traffic.totalArrivals, 1);
  echo.close();
  const result = await life.shutdown();
  assert.equal(result.exitCode, 0);
  assert.deepEqual(result.forced, []);
});

test('a call the caller cancels before an outer interceptor starts it is not left in flight', async (t) => {
  // 7. An application interceptor that starts calls late (an async auth check): when the caller
  // has gone by then, grpc-js neither starts the call nor reports its end to inner listeners.
  let releaseStarts: () => void = () => {};
  const startsReleased = new Promise<void>((resolve) => {
    releaseStarts = resolve;
  });
  let onHeld: () => void = () => {};
  const allHeld = new Promise<void>((resolve) => {
    let held = 0;
    onHeld = () => {
      held += 1;
      if (held === 5) resolve();
    };
  });
  const lateStart: ServerInterceptor = (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        if (method.path !== echoMethods.unary) {
          next();
          return;
        }
        onHeld();
        void startsReleased.then(() => next());
      },
    });
  const { drain, life, target } = await startedServer(t, { minMs: 0, maxMs: 300 }, undefined, [
    lateStart,
  ]);
  const echo = createEchoClient(target);
  const health = createHealthClient(target);
  t.after(() => {
    echo.close();
    health.close();
  });
  const calls = Array.from({ length: 5 }, () =>
    echo.Unary({ message: 'gone', delay_ms: 0 }, () => {}),
  );
  await allHeld;
  for (const call of calls) call.cancel();
  // Both clients share one connection: once this answer is back, the resets before it were read.
  assert.equal(await health.check(''), 'SERVING');
  await new Promise((resolve) => setImmediate(resolve));
  releaseStarts();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(drain.traffic.totalArrivals, 5);
  assert.equal(drain.calls.size, 0, 'calls left in flight');
  assert.equal(drain.traffic.inFlight, 0);
  const result = await life.shutdown();
  assert.equal(result.exitCode, 0);
  assert.ok(result.shutdownMs < 2000, `shut down in ${result.shutdownMs} ms`);
});

test('a stream writing as fast as it can while ignoring the signal ends UNAVAILABLE', async (t) => {
  // 8. Its writes keep coming after the drain ended it; they must not break the trailers.
  const { life, target } = await startedServer(t);
  const echo = createEchoClient(target);
  t.after(() => echo.close());
  const flood = observeStream<EchoReply>(echo.ServerStream({ interval_ms: 0, ignore_drain: true }));
  await flood.waitForMessage((m) => m.seq >= 1000);
  const result = await life.shutdown();
  const status = await flood.status;
  assert.equal(status.code, GrpcStatus.UNAVAILABLE, `${status.code} ${status.details}`);
  assert.match(status.details, /server is shutting down/);
  assert.equal(result.exitCode, 0);
  assert.ok(result.shutdownMs < 3000, `shut down in ${result.shutdownMs} ms`);
});

test('a connection whose peer never closes is destroyed soon after the last call', async (t) => {
  // 9. A raw TCP peer that keeps its half open after the server's FIN.
  const { life, drain } = await startedServer(t);
  const peer = createConnectionTo({ port: drain.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => peer.destroy());
  peer.on('error', () => {});
  peer.resume();
  await new Promise((resolve) => peer.once('connect', resolve));
  const stopped: LifecycleEvent[] = [];
  life.on((event) => {
    if (event.type === 'participant-stopped') stopped.push(event);
  });
  const result = await life.shutdown();
  assert.equal(result.exitCode, 0);
  assert.ok(result.shutdownMs < 3000, `shut down in ${result.shutdownMs} ms`);
  const [event] = stopped;
  assert.ok(event?.type === 'participant-stopped');
  assert.deepEqual(event.forcedWork, []);
  assert.match(
    String(event.cutShort[0]),
    /^1 connection\(s\) still open 1000 ms after the last request ended, destroyed$/,
  );
});

test('interceptors the credentials already carry keep working', async (t) => {
  // 10. An auth check given through createServerCredentialsWithInterceptors.
  const requireToken: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (metadata.get('token')[0] === 'secret') nextMetadata(metadata);
            else call.sendStatus({ code: GrpcStatus.UNAUTHENTICATED, details: 'no token' });
          },
        }),
    });
  const { drain, target } = await startedServer(
    t,
    { minMs: 0, maxMs: 300 },
    experimental.createServerCredentialsWithInterceptors(ServerCredentials.createInsecure(), [
      requireToken,
    ]),
  );
  const echo = createEchoClient(target);
  t.after(() => echo.close());
  await assert.rejects(
    unary(echo, 'no token'),
    (e: { code: number }) => e.code === GrpcStatus.UNAUTHENTICATED,
  );
  const withToken = new Metadata();
  withToken.set('token', 'secret');
  const reply = await new Promise<EchoReply>((resolve, reject) =>
    echo.Unary({ message: 'with token', delay_ms: 0 }, withToken, (error, r) =>
      error === null ? resolve(r) : reject(error),
    ),
  );
  assert.equal(reply.message, 'with token');
  assert.equal(drain.traffic.totalArrivals, 2);
  assert.equal(drain.calls.size, 0);
});
