/**
 * Express 5, Koa 3 and Fastify 5 services, each drained through `drainHttpServer`, get SIGTERM
 * under HTTP/1.1 keep-alive load. The same scenario runs once per framework:
 *
 * 1. Start instances A and B of the framework fixture and a proxy with both as endpoints.
 * 2. Run a steady keep-alive load (300 req/s, 4 undici pools of 4 connections) until both serve.
 * 3. Send A one slow request directly (`/slow?ms=600`) and wait until A has it.
 * 4. SIGTERM A; 400 ms later remove A from the proxy's endpoints.
 * 5. The slow request completes with 200 and its response carries `connection: close`.
 * 6. A exits 0 with nothing forced, within a bound (not after a keep-alive timeout).
 * 7. Keep the load on B a little longer, then stop it: no request failed, B took over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import {
  assertBTookOver,
  assertDrainedSoonAfterQuiet,
  deletePodA,
  startKeepAliveLoad,
  startPodPair,
} from '../helpers/pod-pair.js';

const fixture = fileURLToPath(new URL('../fixtures/framework-server.ts', import.meta.url));
const frameworks = ['express', 'koa', 'fastify'] as const;
const propagationMs = 400;
const minLameDuckMs = 500;
const handlerDelayMs = 5;
const slowMs = 600;

for (const framework of frameworks) {
  test(`${framework}: SIGTERM under keep-alive load fails no request; the one in flight gets connection: close; exit 0`, async (t) => {
    // 1. Start A and B and a proxy with both as endpoints.
    const pair = await startPodPair(t, fixture, {
      FIXTURE_FRAMEWORK: framework,
      FIXTURE_DELAY_MS: String(handlerDelayMs),
      LAMEDUCK_MIN_LAME_DUCK_MS: String(minLameDuckMs),
    });
    const { a } = pair;

    // 2. Run a steady keep-alive load until both instances serve.
    const load = await startKeepAliveLoad(t, pair);

    // 3. Send A one slow request on a keep-alive connection; wait until A has it.
    const direct = new Client(`http://127.0.0.1:${a.port}`);
    t.after(() => direct.close());
    const slow = direct
      .request({ method: 'GET', path: `/slow?ms=${slowMs}` })
      .then(async (res) => ({
        status: res.statusCode,
        connection: res.headers.connection,
        body: await res.body.text(),
      }));
    await a.waitForLine((l) => l.event === 'fixture-request-started' && l.path === '/slow');

    // 4. SIGTERM A; remove it from the endpoints after the propagation delay.
    const sigtermAtMs = deletePodA(t, pair, propagationMs);

    // 5. The slow request completes, and tells its keep-alive caller to reconnect.
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.body, `ok ${a.pid}\n`);
    assert.equal(answer.connection, 'close');

    // 6. A exits 0 with nothing forced, soon after its traffic went quiet and the slow request
    // ended (not after a keep-alive timeout).
    const lastWorkEndsMs = Math.max(minLameDuckMs, propagationMs, slowMs);
    const { exitAfterMs } = await assertDrainedSoonAfterQuiet(a, sigtermAtMs, lastWorkEndsMs);
    t.diagnostic(`${framework}: A exited ${Math.round(exitAfterMs)} ms after SIGTERM`);

    // 7. B takes the load; nothing failed.
    await assertBTookOver(pair, load.byPid);
    const report = await load.stop();
    assert.deepEqual(report.failures, []);
  });
}
