import assert from 'node:assert/strict';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { waitUntil } from '../../../test/helpers/wait-until.js';
import { startGrpcLoad } from './grpc-load.js';

/**
 * A server on a real socket that fails every call by destroying its connection, before or after
 * sending the response headers (`:status 200`, `application/grpc`), as a crash would.
 */
async function startCrashingServer(headersFirst: boolean): Promise<Http2Server> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('stream', (stream) => {
    if (headersFirst) stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    // After the headers are on the wire: the client sees them, then the reset.
    setTimeout(() => {
      for (const socket of sockets) socket.resetAndDestroy();
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// Calls also fail while the channel reconnects, before any server sees them: those never had
// headers. So: with headers first, some failures say so; without, none does.
for (const headersFirst of [true, false]) {
  test(`a failed call says whether the response had begun (${headersFirst ? 'it had' : 'it had not'})`, async (t) => {
    const server = await startCrashingServer(headersFirst);
    t.after(() => server.close());
    const { port } = server.address() as AddressInfo;
    const load = startGrpcLoad({
      target: `127.0.0.1:${port}`,
      method: '/test.Crash/Unary',
      request: Buffer.alloc(0),
      pidOf: () => undefined,
      ratePerSecond: 20,
      deadlineMs: 1000,
    });
    t.after(() => load.stop(0));
    const cutAfterHeaders = () => load.failures.filter((f) => f.afterResponseBegan === true);
    // Enough calls to have reached the server a few times.
    await waitUntil(
      'calls to fail',
      () => load.failures.length >= 6 && (!headersFirst || cutAfterHeaders().length >= 2),
      5000,
    );
    const report = await load.stop(0);
    assert.ok(report.failures.length >= 6, `${report.failures.length} failures`);
    assert.equal(report.succeeded, 0);
    const marked = report.failures.filter((f) => f.afterResponseBegan === true);
    if (headersFirst) assert.ok(marked.length >= 2, JSON.stringify(report.failures));
    else assert.deepEqual(marked, []);
    for (const failure of marked) assert.equal(failure.code, 'UNAVAILABLE', failure.message);
  });
}
