/**
 * An HTTP/1.1 service behind a kube-proxy-like TCP proxy gets SIGTERM under keep-alive load.
 *
 * 1. Start instances A and B (child processes on lameduck) and a proxy with both as endpoints.
 * 2. Run a steady load (300 req/s, 4 undici pools of 4 keep-alive connections) until both serve.
 * 3. SIGTERM A; 400 ms later remove A from the proxy's endpoints (endpoint propagation).
 * 4. A exits 0 within max(min wait, propagation) + quiet period + longest request + 1 s.
 * 5. Keep the load on B a little longer, then stop it: no request failed, B took over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startListeningService } from '../helpers/child-service.js';
import { startHttpLoad } from '../helpers/http-load.js';
import { startServiceProxy } from '../helpers/service-proxy.js';
import { waitUntil } from '../helpers/wait-until.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const propagationMs = 400;
const minLameDuckMs = 500;
const handlerDelayMs = 5;

test('SIGTERM under HTTP/1.1 keep-alive load: zero failures, exit 0 soon after traffic is quiet', async (t) => {
  // 1. Start instances A and B and a proxy with both as endpoints.
  const env = {
    FIXTURE_PROTOCOL: 'h1',
    FIXTURE_DELAY_MS: String(handlerDelayMs),
    LAMEDUCK_MIN_LAME_DUCK_MS: String(minLameDuckMs),
  };
  const [a, b] = await Promise.all([
    startListeningService(fixture, env),
    startListeningService(fixture, env),
  ]);
  t.after(() => Promise.all([a.kill(), b.kill()]));
  const proxy = await startServiceProxy([a.port, b.port]);
  t.after(() => proxy.close());

  // 2. Run a steady keep-alive load until both instances serve.
  const load = startHttpLoad({
    origin: `http://127.0.0.1:${proxy.port}`,
    ratePerSecond: 300,
    clients: 4,
    connectionsPerClient: 4,
  });
  t.after(() => load.stop());
  await waitUntil(
    'both instances to serve',
    () => (load.byPid.get(String(a.pid)) ?? 0) > 50 && (load.byPid.get(String(b.pid)) ?? 0) > 50,
  );

  // 3. SIGTERM A; remove it from the endpoints after the propagation delay.
  const sigtermAtMs = performance.now();
  a.child.kill('SIGTERM');
  const propagation = setTimeout(() => proxy.setEndpoints([b.port]), propagationMs);
  t.after(() => clearTimeout(propagation));

  // 4. A exits 0 soon after its traffic went quiet.
  const exit = await a.exited;
  assert.equal(exit.code, 0, a.stderr());
  const ended = await a.waitForLine((l) => l.event === 'lame-duck-ended');
  assert.equal(ended.reason, 'quiet');
  const quietPeriodMs = Number(ended.quietPeriodMs);
  const exitAfterMs = exit.atMs - sigtermAtMs;
  const boundMs = Math.max(minLameDuckMs, propagationMs) + quietPeriodMs + handlerDelayMs + 1000;
  assert.ok(
    exitAfterMs <= boundMs,
    `exited ${Math.round(exitAfterMs)} ms after SIGTERM (bound ${boundMs} ms)`,
  );
  const servedByA = load.byPid.get(String(a.pid)) ?? 0;
  t.diagnostic(
    `A exited ${Math.round(exitAfterMs)} ms after SIGTERM; quiet period ${quietPeriodMs} ms`,
  );

  // 5. B takes the load; nothing failed.
  const servedByB = load.byPid.get(String(b.pid)) ?? 0;
  await waitUntil(
    'B to serve 60 more requests',
    () => (load.byPid.get(String(b.pid)) ?? 0) > servedByB + 60,
  );
  const report = await load.stop();
  assert.deepEqual(report.errors, []);
  assert.equal(report.failed, 0);
  assert.equal(load.byPid.get(String(a.pid)), servedByA, 'A served nothing after it exited');
});
