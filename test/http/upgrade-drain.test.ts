/**
 * Connections upgraded through node:http's `upgrade` event (WebSockets) while the server leaves,
 * in process with real sockets.
 *
 * 1. A WebSocket client (undici) on a server whose `upgrade` listener comes after the drain: the
 *    connection counts as an arrival and in flight; when the drain starts, `drainSignal` fires,
 *    the application closes the WebSocket with 1001 (going away), the client sees a clean close,
 *    and the drain reports nothing cut short.
 * 2. An application that ignores `drainSignal`: the connection is destroyed once `upgradeGraceMs`
 *    has passed (not before), and named as cut short by request, protocol and peer.
 * 3. A grace longer than the budget: at the deadline the connection is forced work, named the
 *    same way.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { WebSocket } from 'undici';
import {
  openRawConnection,
  startDrainedServer,
  stopAtDeadline,
} from '../helpers/drained-server.js';

/**
 * Completes a WebSocket handshake (RFC 6455 section 4.2.2) on an upgraded socket, and reads (and
 * drops) whatever the client sends, its closing handshake included.
 */
function acceptWebSocket(req: IncomingMessage, socket: Duplex): void {
  socket.resume();
  const accept = createHash('sha1')
    .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
}

// A server's close frame: FIN + close opcode, 2 bytes of payload, status 1001 (going away).
const goingAwayFrame = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

/** Opens a WebSocket by hand on a raw connection; resolves once the server accepted it. */
async function openRawWebSocket(t: TestContext, port: number) {
  const connection = await openRawConnection(t, port);
  connection.socket.write(
    'GET /chat?token=s3cr3t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await connection.receivedMatching(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  // Named in the drain's report; the socket forgets it once closed.
  const peer = `127\\.0\\.0\\.1:${connection.socket.localPort}`;
  return {
    ...connection,
    described: new RegExp(`^GET /chat \\(upgraded to websocket\\) from ${peer} open for \\d+ ms$`),
  };
}

/** A server whose WebSockets ignore the drain. */
async function startIgnoringServer(t: TestContext, upgradeGraceMs: number) {
  const server = createServer((_req, res) => res.end('plain request\n'));
  server.on('upgrade', acceptWebSocket);
  return startDrainedServer(t, server, { upgradeGraceMs });
}

test('upgraded connections are told through drainSignal, and the drain waits for them to close', async (t) => {
  // 1. The application's upgrade listener comes after drainHttpServer, as a WebSocket library's
  // would; it closes its WebSockets when drainSignal fires.
  const server = createServer((_req, res) => res.end('plain request\n'));
  const { drain, port } = await startDrainedServer(t, server);
  assert.ok(drain.drainSignal instanceof AbortSignal, 'the participant has a drainSignal');
  assert.equal(drain.drainSignal.aborted, false);
  const closeOnDrain = (drainSignal: AbortSignal) => (req: IncomingMessage, socket: Duplex) => {
    acceptWebSocket(req, socket);
    const goAway = () => socket.end(goingAwayFrame);
    if (drainSignal.aborted) goAway();
    else drainSignal.addEventListener('abort', goAway, { once: true });
    socket.once('close', () => drainSignal.removeEventListener('abort', goAway));
  };
  server.on('upgrade', closeOnDrain(drain.drainSignal));
  const client = new WebSocket(`ws://127.0.0.1:${port}/chat`);
  t.after(() => client.close());
  await new Promise((resolve, reject) => {
    client.addEventListener('open', resolve, { once: true });
    client.addEventListener('error', reject, { once: true });
  });
  assert.equal(drain.traffic.inFlight, 1);
  assert.equal(drain.traffic.totalArrivals, 1);
  const clientClosed = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
    client.addEventListener('close', ({ code, wasClean }) => resolve({ code, wasClean }));
  });
  const budget = new AbortController();
  t.after(() => budget.abort());
  const outcome = await drain.stop(budget.signal);
  assert.deepEqual(outcome, { forced: false, cutShort: [] });
  assert.deepEqual(await clientClosed, { code: 1001, wasClean: true });
  assert.equal(drain.traffic.inFlight, 0);
});

test('an upgraded connection that ignores drainSignal is cut after upgradeGraceMs and named', async (t) => {
  // 2. A 300 ms grace; the application never closes its WebSocket.
  const upgradeGraceMs = 300;
  const { drain, port } = await startIgnoringServer(t, upgradeGraceMs);
  const webSocket = await openRawWebSocket(t, port);
  const budget = new AbortController();
  t.after(() => budget.abort());
  const stopAtMs = performance.now();
  const outcome = await drain.stop(budget.signal);
  const stopMs = performance.now() - stopAtMs;
  assert.ok(stopMs >= upgradeGraceMs, `stop took ${Math.round(stopMs)} ms`);
  assert.equal(outcome?.forced, false);
  assert.equal(outcome?.cutShort?.length, 1);
  assert.match(String(outcome?.cutShort?.[0]), webSocket.described);
  await webSocket.closed;
});

test('an upgraded connection still open at the deadline is forced work, named', async (t) => {
  // 3. The grace outlasts the budget.
  const { drain, port } = await startIgnoringServer(t, 60_000);
  const webSocket = await openRawWebSocket(t, port);
  const outcome = await stopAtDeadline(drain);
  assert.equal(outcome?.forced, true);
  assert.deepEqual(outcome?.cutShort, []);
  assert.equal(outcome?.forcedWork?.length, 1);
  assert.match(String(outcome?.forcedWork?.[0]), webSocket.described);
  await webSocket.closed;
});
