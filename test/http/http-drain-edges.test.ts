/**
 * drainHttpServer at its edges, in process with real sockets.
 *
 * 1. listen() on a port already taken: start() rejects, so the lifecycle's start fails with
 *    `participant_failed` naming the server, instead of hanging unready.
 * 2. Kubelet probes (a new connection each) are served but are not traffic.
 * 3. A request whose headers are still arriving when the drain starts is served, with
 *    `Connection: close`.
 * 4. An HTTP/2 peer that never closes its side does not hold the drain until the budget.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import { type AddressInfo, connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { drainHttpServer } from '../../src/http/index.js';
import { createLifecycle, type LameduckError, type Logger } from '../../src/index.js';
import { httpGet } from '../helpers/http-get.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test('a listen() that fails makes start() reject instead of hanging', async (t) => {
  // 1. Take a port, then listen on it again behind the participant.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const server = createServer((_req, res) => res.end());
  const life = createLifecycle({ admin: false, logger: silent }).add(drainHttpServer(server));
  server.listen(port, '127.0.0.1');
  await assert.rejects(life.start(), (e: LameduckError) => {
    assert.equal(e.code, 'participant_failed');
    assert.match(
      e.message,
      /participant 'http' failed to start: http: server 'http' failed to listen: .*EADDRINUSE/,
    );
    return true;
  });
  assert.equal(life.phase.kind, 'stopped');
});

async function listeningServer(t: TestContext) {
  const server = createServer((_req, res) => res.end('ok'));
  const drain = drainHttpServer(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, drain, port: (server.address() as AddressInfo).port };
}

test('kubelet probes are served but do not count as traffic', async (t) => {
  // 2. Five probes on five connections, then one caller.
  const { drain, port } = await listeningServer(t);
  for (let i = 0; i < 5; i++) {
    const probe = await httpGet(`http://127.0.0.1:${port}/healthz`, {
      headers: { 'user-agent': 'kube-probe/1.31' },
    });
    assert.equal(probe.status, 200);
  }
  assert.equal(drain.traffic.totalArrivals, 0);
  await httpGet(`http://127.0.0.1:${port}/`);
  assert.equal(drain.traffic.totalArrivals, 1);
});

test('a request still arriving when the drain starts is served with connection: close', async (t) => {
  // 3. Half the request line and headers, then stop(), then the rest.
  const { drain, port } = await listeningServer(t);
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await new Promise<void>((resolve) => setImmediate(resolve));
  const stopped = drain.stop(new AbortController().signal);
  socket.write('\r\n');
  await ended;
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  assert.deepEqual(await stopped, { forced: false, cutShort: [] });
});

test('an HTTP/2 peer that never closes its side is destroyed a second after the last request', async (t) => {
  // 4. The peer keeps its half open after the final GOAWAY and FIN: server.close() alone would
  // wait for it until the budget ran out. (HTTP/1.1 sockets are destroyed by Node itself.)
  const server = createH2cServer();
  const drain = drainHttpServer(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const sessionOpened = new Promise((resolve) => server.once('session', resolve));
  const peer = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => peer.destroy());
  peer.on('error', () => {});
  peer.resume();
  await sessionOpened;
  const startedAtMs = performance.now();
  const outcome = await drain.stop(new AbortController().signal);
  const tookMs = performance.now() - startedAtMs;
  assert.equal(outcome?.forced, false);
  assert.deepEqual(outcome?.cutShort, [
    '1 connection(s) still open 1000 ms after the last request ended, destroyed',
  ]);
  assert.ok(tookMs >= 1000 && tookMs < 2500, `stop took ${Math.round(tookMs)} ms`);
});
