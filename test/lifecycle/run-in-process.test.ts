/**
 * run() inside the test process (exitProcess: false): the admin endpoints, a pino logger plugged
 * in, and dispose() undoing what run() set up.
 *
 * 1. run() with a pino logger writing to memory: /livez, /readyz, /metrics answer; pino got the
 *    lifecycle's events as structured lines.
 * 2. dispose() removes the signal handlers and closes the admin port.
 * 3. A port already taken: run() rejects with `unavailable`, and the failure is logged.
 * 4. Only GET on /lameduck/prestop starts lame duck: HEAD, POST, PUT, DELETE get 405 and change
 *    nothing.
 * 5. A flood of refused prestop calls: one line for the first, then one counting the rest (at the
 *    interval, or at dispose()), from a timer that does not hold the process open.
 * 6. A participant fails to start: run() rejects with participant_failed once the signal handlers
 *    and the admin port are gone.
 * 7. A shutdown during start-up: run() rejects with aborted once the shutdown is over.
 * 8. run() a second time rejects with invalid_state and sets up nothing.
 * 9. A shortest lame-duck wait from the environment that a participant's lame-duck work may
 *    outlast: run() rejects with invalid_config naming the variable, without hanging.
 * 10. /lameduck/prestop called from the admin server's own address (not loopback, not listed)
 *     is accepted; another address is refused.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { Counter, register } from 'prom-client';
import { createLifecycle, type LameduckError, type Participant } from '../../src/index.js';
import { httpGet } from '../helpers/http-get.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

function memoryPino() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** A lifecycle run in process, its admin server on a free loopback port; disposed after `t`. */
async function runServing(t: TestContext) {
  const { logger, lines } = memoryPino();
  const life = createLifecycle({ logger, admin: { host: '127.0.0.1', port: 0 } });
  t.after(() => life.dispose());
  await life.run({ exitProcess: false, env: {} });
  const port = Number(lines.find((l) => l.event === 'admin-listening')?.port);
  return { life, lines, base: `http://127.0.0.1:${port}` };
}

test('run() serves the admin endpoints and logs structured events through pino', async (t) => {
  // 1. The admin endpoints and the pino lines; the app's own metric, in prom-client's default
  // registry, is served beside lameduck's (issue 15, item 13).
  const appMetric = new Counter({ name: 'app_orders_total', help: 'orders taken' });
  t.after(() => register.removeSingleMetric('app_orders_total'));
  appMetric.inc(3);
  const { lines, base } = await runServing(t);
  assert.equal((await httpGet(`${base}/livez`)).status, 200);
  assert.equal((await httpGet(`${base}/readyz`)).status, 200);
  assert.equal((await httpGet(`${base}/nope`)).status, 404);
  const metrics = await httpGet(`${base}/metrics`);
  assert.match(metrics.body, /^lameduck_phase\{phase="serving"\} 1$/m);
  assert.match(metrics.body, /^lameduck_in_flight 0$/m);
  assert.match(metrics.body, /^# TYPE lameduck_forced_closes_total counter$/m);
  assert.match(metrics.body, /^app_orders_total 3$/m);
  const changed = lines.find((l) => l.event === 'phase-changed' && l.to === 'serving');
  assert.equal(changed?.msg, 'phase changed from starting to serving');
  assert.equal(changed?.level, 30, 'pino numeric level for info');
});

test('dispose() removes the signal handlers and closes the admin port', async () => {
  // 2. Handlers and port before and after.
  const before = process.listenerCount('SIGTERM');
  const { logger, lines } = memoryPino();
  const life = createLifecycle({ logger, admin: { host: '127.0.0.1', port: 0 } });
  await life.run({ exitProcess: false, env: {} });
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  await life.dispose();
  await life.dispose();
  assert.equal(process.listenerCount('SIGTERM'), before);
  const port = Number(lines.find((l) => l.event === 'admin-listening')?.port);
  await assert.rejects(httpGet(`http://127.0.0.1:${port}/livez`), /ECONNREFUSED/);
});

test('an admin port already taken: run() rejects with unavailable and logs it', async (t) => {
  // 3. Hold a port, then ask for it.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const { logger, lines } = memoryPino();
  const life = createLifecycle({ logger, admin: { host: '127.0.0.1', port } });
  t.after(() => life.dispose());
  await assert.rejects(life.run({ exitProcess: false, env: {} }), (e: LameduckError) => {
    assert.equal(e.code, 'unavailable');
    assert.equal(
      e.rawMessage,
      `admin: cannot listen on 127.0.0.1:${port}: admin.port: ${port} is in use (EADDRINUSE) by another process (a second instance on this machine?): set admin.port to a free port, or to 0 to pick any free one (the admin-listening line says which)`,
    );
    return true;
  });
  assert.equal(lines.find((l) => l.event === 'participant-failed')?.name, 'admin');
});

test('only GET /lameduck/prestop starts lame duck: other methods get 405 and change nothing', async (t) => {
  // 4. From loopback, which may call it: the method alone decides.
  const { life, lines, base } = await runServing(t);
  for (const method of ['HEAD', 'POST', 'PUT', 'DELETE']) {
    const answer = await httpGet(`${base}/lameduck/prestop`, { method });
    assert.equal(answer.status, 405, method);
    assert.equal(answer.headers.allow, 'GET', method);
    assert.equal(life.phase.kind, 'serving', method);
  }
  assert.equal((await httpGet(`${base}/readyz`, { method: 'HEAD' })).status, 200);
  assert.equal(lines.filter((l) => l.event === 'shutdown-started').length, 0);
});

test('refused prestop calls: the first is logged, the rest are counted in one line', async (t) => {
  // 5. 300 refusals from two addresses not allowed (only 127.0.0.1 is, of 127.0.0.0/8).
  const { life, lines, base } = await runServing(t);
  const timersBefore = activeTimers();
  for (let batch = 0; batch < 6; batch++) {
    const localAddress = batch % 2 === 0 ? '127.0.0.2' : '127.0.0.3';
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => httpGet(`${base}/lameduck/prestop`, { localAddress })),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([403]));
  }
  assert.equal(lines.filter((l) => l.event === 'prestop-refused').length, 1);
  assert.ok(activeTimers() <= timersBefore, 'the counting timer does not hold the process open');
  await life.dispose();
  const counted = lines.filter((l) => l.event === 'prestop-refusals-counted');
  assert.equal(counted.length, 1);
  assert.equal(counted[0]?.refusedCount, 299);
  assert.equal(counted[0]?.addressCount, 2);
  assert.equal(life.phase.kind, 'serving');
});

// Timers that keep the event loop alive; unref'd ones are not listed.
const activeTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

test('a participant that fails to start: run() rejects once it has undone what it set up', async () => {
  // 6. exitProcess: false, so the rejection is the caller's to handle.
  const before = process.listenerCount('SIGTERM');
  const { logger, lines } = memoryPino();
  const life = createLifecycle({ logger, admin: { host: '127.0.0.1', port: 0 } }).add({
    name: 'database',
    start: () => Promise.reject(new Error('connect ECONNREFUSED')),
    stop: () => undefined,
  });
  await assert.rejects(life.run({ exitProcess: false, env: {} }), (e: LameduckError) => {
    assert.equal(e.code, 'participant_failed');
    assert.match(e.message, /participant 'database' failed to start: connect ECONNREFUSED/);
    return true;
  });
  assert.equal(life.phase.kind, 'stopped');
  assert.equal(process.listenerCount('SIGTERM'), before);
  const port = Number(lines.find((l) => l.event === 'admin-listening')?.port);
  await assert.rejects(httpGet(`http://127.0.0.1:${port}/livez`), /ECONNREFUSED/);
});

test('a shutdown during start-up: run() rejects with aborted once the shutdown is over', async (t) => {
  // 7. The participant starts until it is told to give up; the shutdown comes meanwhile.
  const { logger } = memoryPino();
  let starting: () => void = () => {};
  const startCalled = new Promise<void>((resolve) => {
    starting = resolve;
  });
  const slow: Participant = {
    name: 'slow',
    start: (signal) =>
      new Promise<void>((_resolve, reject) => {
        starting();
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    stop: () => undefined,
  };
  const life = createLifecycle({ logger, admin: false }).add(slow);
  t.after(() => life.dispose());
  const running = life.run({ exitProcess: false, env: {} });
  await startCalled;
  const shutdown = life.shutdown('api');
  await assert.rejects(running, (e: LameduckError) => {
    assert.equal(e.code, 'aborted');
    assert.equal(
      e.message,
      '[aborted] lifecycle: run(): the shutdown (api) began before the service was serving',
    );
    return true;
  });
  assert.equal(life.phase.kind, 'stopped');
  assert.equal((await shutdown).exitCode, 0);
});

test('run() a second time rejects with invalid_state and sets up nothing', async (t) => {
  // 8. The first run() owns the signals and the admin port.
  const { life } = await runServing(t);
  const handlers = process.listenerCount('SIGTERM');
  await assert.rejects(life.run({ exitProcess: false, env: {} }), (e: LameduckError) => {
    assert.equal(e.code, 'invalid_state');
    assert.equal(e.message, '[invalid_state] lifecycle: run() called again (phase serving)');
    return true;
  });
  assert.equal(process.listenerCount('SIGTERM'), handlers);
});

test('a lame-duck wait too short for a participant: run() refuses it as configuration, naming the env variable', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // 9. The shortest wait comes from the environment here, so the message names the variable.
  const { logger, lines } = memoryPino();
  const life = createLifecycle({ logger, admin: false }).add({
    name: 'registry',
    start() {},
    stop() {},
    enterLameDuck() {},
    lameDuckWorkLimit: { ms: 1000, option: 'callTimeoutMs' },
  } as Participant);
  await assert.rejects(
    life.run({ exitProcess: false, env: { LAMEDUCK_MIN_LAME_DUCK_MS: '1000' } }),
    (e: LameduckError) => {
      assert.equal(e.code, 'invalid_config');
      assert.match(
        e.message,
        /^\[invalid_config\] lifecycle: LAMEDUCK_MIN_LAME_DUCK_MS=1000 is not above participant 'registry's callTimeoutMs of 1000 ms/,
      );
      return true;
    },
  );
  assert.equal(lines.filter((l) => l.event === 'config-invalid').length, 1);
  assert.equal(life.phase.kind, 'created');
});

test('/lameduck/prestop from the admin server’s own address is accepted: the exec hook in the pod', async (t) => {
  // 10. Bound to one address (the pod IP in a pod, LAMEDUCK_ADMIN_HOST), called from it.
  const { logger, lines } = memoryPino();
  const life = createLifecycle({
    logger,
    admin: { host: '127.0.0.5', port: 0 },
    minLameDuckMs: 0,
  });
  t.after(() => life.dispose());
  await life.run({ exitProcess: false, env: {} });
  const port = Number(lines.find((l) => l.event === 'admin-listening')?.port);
  const url = `http://127.0.0.5:${port}/lameduck/prestop`;
  assert.equal((await httpGet(url, { localAddress: '127.0.0.6' })).status, 403);
  assert.equal((await httpGet(url, { localAddress: '127.0.0.5' })).status, 200);
  assert.equal((await life.done).trigger, 'prestop');
});
