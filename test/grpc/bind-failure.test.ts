/**
 * A gRPC port already taken (issue 15, item 15): the start fails with the real cause, and code
 * that reads the drain's port afterwards (during the shutdown that follows) gets that cause again,
 * not a misleading "not bound yet".
 *
 * 1. Hold a loopback port; a lifecycle with a gRPC drain on it runs (exitProcess: false).
 * 2. run() rejects with participant_failed naming EADDRINUSE and what to do; one failure line.
 * 3. `grpcDrain.port` throws unavailable with the bind's cause.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { Server } from '@grpc/grpc-js';
import { drainGrpcServer } from '../../src/grpc/index.js';
import { createLifecycle, type LameduckError } from '../../src/index.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';

test('a taken gRPC port: the failure names EADDRINUSE, and reading the port repeats it', async (t) => {
  // 1. The port is someone else's.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const server = new Server();
  t.after(() => server.forceShutdown());
  const grpcDrain = drainGrpcServer(server, { address: `127.0.0.1:${port}` });
  const logger = createCaptureLogger();
  const life = createLifecycle({ logger, admin: false }).add(grpcDrain);
  // 2. The start fails with the real cause.
  await assert.rejects(life.run({ exitProcess: false, env: {} }), (e: LameduckError) => {
    assert.equal(e.code, 'participant_failed');
    assert.match(
      e.message,
      /failed to bind 127\.0\.0\.1:\d+: .*EADDRINUSE.*; another process \(a second instance\?\) holds the port/,
    );
    return true;
  });
  assert.equal(logger.records.filter((r) => r.event === 'participant-failed').length, 1);
  assert.equal(logger.records.filter((r) => r.event === 'uncaught-error').length, 0);
  // 3. The port, read afterwards, says why there is none.
  assert.throws(
    () => grpcDrain.port,
    (e: LameduckError) =>
      e.code === 'unavailable' &&
      /^\[unavailable\] grpc: server 'grpc' has no port: grpc: server 'grpc' failed to bind .*EADDRINUSE/.test(
        e.message,
      ),
  );
});
