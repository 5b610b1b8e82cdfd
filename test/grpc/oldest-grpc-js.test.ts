/**
 * The oldest @grpc/grpc-js lameduck claims (1.11, the package's peer range `^1.11.0`) drains as
 * the newest does; the resolver, which needs 1.14, says so (issue 15, item 10). The service runs
 * with `@grpc/grpc-js` resolved to the devDependency alias `grpc-js-oldest` (1.11.0, from the
 * lockfile: no network at test time), the test's client with the newest.
 *
 * 1. Start the echo service on 1.11; send a slow unary call and open a server stream.
 * 2. SIGTERM: the unary call completes OK, the stream gets its last message and ends OK (the
 *    drain signal), and the process exits 0 with nothing forced.
 * 3. registerEtcdResolver on 1.11 refuses with invalid_state naming 1.14.
 * 4. The package's peer range starts at the version tested here, so that npm installs lameduck
 *    beside it (the range was ^1.14.0: ERESOLVE beside 1.12); a grpc-js older still (credentials
 *    without server interceptors) is refused when the drain is made, naming 1.11.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus, Server } from '@grpc/grpc-js';
import { drainGrpcServer } from '../../src/grpc/index.js';
import type { LameduckError } from '../../src/index.js';
import { waitForInFlight } from '../helpers/admin-in-flight.js';
import { startChildProcess } from '../helpers/child-service.js';
import { createEchoClient, type EchoReply, observeStream } from '../helpers/grpc-echo.js';

const oldest = fileURLToPath(new URL('../fixtures/oldest-grpc-js/register.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/grpc-echo-server.ts', import.meta.url));
const resolverCheck = fileURLToPath(new URL('../fixtures/resolver-needs-1.14.ts', import.meta.url));
const onOldest = (script: string, env: Record<string, string> = {}) =>
  startChildProcess(process.execPath, ['--import', oldest, '--import', 'tsx', script], env);

test('@grpc/grpc-js 1.11: a SIGTERM drains a unary call and a stream, exit 0', async (t) => {
  // 1. The service on the oldest grpc-js.
  const service = onOldest(fixture, {
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    LAMEDUCK_ADMIN_PORT: '0',
    LAMEDUCK_MIN_LAME_DUCK_MS: '200',
  });
  t.after(() => service.kill());
  const { port } = await service.waitForLine((l) => l.event === 'fixture-listening');
  const admin = await service.waitForLine((l) => l.event === 'admin-listening');
  await service.waitForLine((l) => l.event === 'phase-changed' && l.to === 'serving');
  const echo = createEchoClient(`127.0.0.1:${String(port)}`);
  t.after(() => echo.close());
  const unary = new Promise<{ error: unknown; reply: EchoReply | undefined }>((resolve) => {
    echo.Unary({ message: 'slow', delay_ms: 800 }, (error, reply) => resolve({ error, reply }));
  });
  const stream = observeStream<EchoReply>(
    echo.ServerStream({ interval_ms: 50, ignore_drain: false }),
  );
  await stream.waitForMessage(() => true);
  await waitForInFlight(Number(admin.port), 2);
  // 2. SIGTERM.
  service.child.kill('SIGTERM');
  const { error, reply } = await unary;
  assert.equal(error, null);
  assert.equal(reply?.message, 'slow');
  assert.equal((await stream.status).code, GrpcStatus.OK);
  assert.equal(stream.messages.at(-1)?.last, true);
  assert.equal((await service.exited).code, 0, service.stderr());
  const stopped = await service.waitForLine((l) => l.event === 'participant-stopped');
  assert.equal(stopped.forced, false);
});

test('@grpc/grpc-js 1.11: registerEtcdResolver refuses, naming the 1.14 it needs', async (t) => {
  // 3. The resolver API (statusOrFromValue) arrived in 1.14.
  const check = onOldest(resolverCheck);
  t.after(() => check.kill());
  const refused = await check.waitForLine((l) => l.event === 'resolver-refused');
  assert.equal(refused.code, 'invalid_state');
  assert.match(String(refused.message), /needs @grpc\/grpc-js 1\.14 or later/);
});

test('the peer range starts at the grpc-js tested here; an older one is refused at use, naming 1.11', () => {
  // 4. package.json's range and the alias's version.
  const readJson = (url: URL) => JSON.parse(readFileSync(url, 'utf8'));
  const { peerDependencies } = readJson(new URL('../../package.json', import.meta.url));
  const { version } = readJson(
    new URL('../../node_modules/grpc-js-oldest/package.json', import.meta.url),
  );
  assert.equal(peerDependencies['@grpc/grpc-js'], `^${version}`);
  assert.throws(
    () => drainGrpcServer(new Server(), { address: '127.0.0.1:0', credentials: {} as never }),
    (e: LameduckError) =>
      e.code === 'invalid_state' && /needs @grpc\/grpc-js 1\.11 or later/.test(e.message),
  );
});
