/**
 * What the HTTP drain names when the budget runs out, in process with real sockets.
 *
 * 1. HTTP/1.1 requests forced at the deadline are named by method and path, without the query
 *    (tokens travel there) and, for an absolute-form target, without the scheme, credentials
 *    and host. One read while serving (only counted then) is in flight for "at least" the time
 *    since lame duck began; one read in lame duck, for its own time.
 * 2. HTTP/2 streams forced at the deadline: the same.
 * 3. A connection whose request headers are still arriving at the deadline is destroyed and
 *    named as cut short (its request was never read, so it is not forced work).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect as connectHttp2, createServer as createH2cServer } from 'node:http2';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import {
  deferred,
  openRawConnection,
  startDrainedServer,
  stopAtDeadline,
} from '../helpers/drained-server.js';
import { waitUntil } from '../helpers/wait-until.js';

const secret = 'token=s3cr3t';

test('HTTP/1.1 forced work is named by path: no query, no credentials', async (t) => {
  // 1. Two requests the handler never answers, one in origin form while serving, one in absolute
  // form in lame duck.
  const arrivals = [deferred(), deferred()];
  let arrived = 0;
  const server = createServer(() => {
    arrivals[arrived++]?.resolve();
  });
  const { drain, port } = await startDrainedServer(t, server);
  const first = await openRawConnection(t, port);
  first.socket.write(`GET /slow?${secret}&ms=20000 HTTP/1.1\r\nHost: x\r\n\r\n`);
  await arrivals[0]?.promise;
  drain.enterLameDuck(new AbortController().signal);
  const second = await openRawConnection(t, port);
  second.socket.write(
    `POST http://user:pass@example.com/report?${secret} HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n`,
  );
  await arrivals[1]?.promise;
  const outcome = await stopAtDeadline(drain);
  assert.equal(outcome?.forced, true);
  const forcedWork = [...(outcome?.forcedWork ?? [])].sort();
  assert.equal(forcedWork.length, 2, forcedWork.join('\n'));
  assert.match(String(forcedWork[0]), /^GET \/slow in flight for at least \d+ ms$/);
  assert.match(String(forcedWork[1]), /^POST \/report in flight for \d+ ms$/);
});

test('HTTP/2 forced work is named by path without the query', async (t) => {
  // 2. One stream the handler never answers.
  const arrivedStream = deferred();
  const server = createH2cServer();
  server.on('stream', () => arrivedStream.resolve());
  const { drain, port } = await startDrainedServer(t, server);
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  t.after(() => session.destroy());
  session.on('error', () => {});
  const stream = session.request({ ':path': `/slow?${secret}` });
  stream.on('error', () => {});
  await arrivedStream.promise;
  const outcome = await stopAtDeadline(drain);
  assert.equal(outcome?.forced, true);
  assert.equal(outcome?.forcedWork?.length, 1);
  assert.match(String(outcome?.forcedWork?.[0]), /^GET \/slow in flight for \d+ ms$/);
});

test('a connection with request headers still arriving at the deadline is named as cut short', async (t) => {
  // 3. One request the handler never answers keeps the drain busy until the deadline; another
  // connection has sent half its headers.
  const arrived = deferred();
  const server = createServer(() => arrived.resolve());
  const serverSockets: Socket[] = [];
  server.on('connection', (socket) => serverSockets.push(socket));
  const { drain, port } = await startDrainedServer(t, server);
  const busy = await openRawConnection(t, port);
  busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await arrived.promise;
  const slowloris = await openRawConnection(t, port);
  slowloris.socket.write('GET /upload HTTP/1.1\r\nHost: x\r\n');
  // No event says the server read them: its socket's byte count does.
  await waitUntil('the server read the half headers', () =>
    serverSockets.some((s) => s.remotePort === slowloris.socket.localPort && s.bytesRead > 0),
  );
  const outcome = await stopAtDeadline(drain);
  assert.equal(outcome?.forced, true);
  assert.equal(outcome?.forcedWork?.length, 1);
  assert.deepEqual(outcome?.cutShort, [
    `request from 127.0.0.1:${slowloris.socket.localPort} still arriving (headers incomplete), connection destroyed`,
  ]);
  await slowloris.closed;
});
