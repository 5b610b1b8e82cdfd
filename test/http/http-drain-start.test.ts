/**
 * drainHttpServer's start() follows the application's listen().
 *
 * 1. listen() on a port already taken: start() rejects, so the lifecycle's start fails with
 *    `participant_failed` naming the server, instead of hanging unready.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { drainHttpServer } from '../../src/http/index.js';
import { createLifecycle, type LameduckError, type Logger } from '../../src/index.js';

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
