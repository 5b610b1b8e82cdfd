/**
 * Requests with an `Expect` header go to the server's `checkContinue` or `checkExpectation`
 * listeners instead of `request`; the drain counts them in flight like any other, in process with
 * real sockets.
 *
 * 1. `Expect: 100-continue` with a `checkContinue` listener added after the drain: the client gets
 *    `100 Continue`, the handler is still reading the body when the drain starts; the drain waits
 *    for its answer (with `Connection: close`) and reports nothing cut short.
 * 2. Another expectation with a `checkExpectation` listener added before the drain: the same.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { deferred, openRawConnection, startDrainedServer } from '../helpers/drained-server.js';

/** A handler that reads the whole body, then hands the response to the test. */
function readBodyThen(handed: (res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.once('end', () => handed(res));
  };
}

test('Expect: 100-continue through checkContinue is in flight until answered', async (t) => {
  // 1. The listener comes after drainHttpServer, as an application may add it.
  const server = createServer((_req, res) => res.end('plain request\n'));
  const { drain, port } = await startDrainedServer(t, server);
  const bodyRead = deferred<ServerResponse>();
  server.on('checkContinue', (req, res) => {
    res.writeContinue();
    readBodyThen(bodyRead.resolve)(req, res);
  });
  const connection = await openRawConnection(t, port);
  connection.socket.write(
    'POST /upload?token=x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
  );
  await connection.receivedMatching(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  assert.equal(drain.traffic.inFlight, 1);
  const budget = new AbortController();
  t.after(() => budget.abort());
  const stopped = drain.stop(budget.signal);
  connection.socket.write('hello');
  (await bodyRead.promise).end('stored\n');
  const answer = await connection.closed;
  assert.match(answer, /\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/);
  assert.deepEqual(await stopped, { forced: false, cutShort: [] });
});

test('a checkExpectation request is in flight until answered', async (t) => {
  // 2. The listener comes before drainHttpServer.
  const server = createServer((_req, res) => res.end('plain request\n'));
  const bodyRead = deferred<ServerResponse>();
  server.on('checkExpectation', readBodyThen(bodyRead.resolve));
  const { drain, port } = await startDrainedServer(t, server);
  const connection = await openRawConnection(t, port);
  connection.socket.write(
    'PUT /thing HTTP/1.1\r\nHost: x\r\nExpect: x-custom\r\nContent-Length: 5\r\n\r\nhello',
  );
  const res = await bodyRead.promise;
  assert.equal(drain.traffic.inFlight, 1);
  const budget = new AbortController();
  t.after(() => budget.abort());
  const stopped = drain.stop(budget.signal);
  res.end('stored\n');
  assert.match(await connection.closed, /^HTTP\/1\.1 200 OK\r\n/);
  assert.deepEqual(await stopped, { forced: false, cutShort: [] });
});
