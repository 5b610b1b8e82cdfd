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
import {
  assertBTookOver,
  assertDrainedSoonAfterQuiet,
  deletePodA,
  startKeepAliveLoad,
  startPodPair,
} from '../helpers/pod-pair.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const propagationMs = 400;
const minLameDuckMs = 500;
const handlerDelayMs = 5;

test('SIGTERM under HTTP/1.1 keep-alive load: zero failures, exit 0 soon after traffic is quiet', async (t) => {
  // 1. Start instances A and B and a proxy with both as endpoints.
  const pair = await startPodPair(t, fixture, {
    FIXTURE_PROTOCOL: 'h1',
    FIXTURE_DELAY_MS: String(handlerDelayMs),
    LAMEDUCK_MIN_LAME_DUCK_MS: String(minLameDuckMs),
  });

  // 2. Run a steady keep-alive load until both instances serve.
  const load = await startKeepAliveLoad(t, pair);

  // 3. SIGTERM A; remove it from the endpoints after the propagation delay.
  const sigtermAtMs = deletePodA(t, pair, propagationMs);

  // 4. A exits 0 soon after its traffic went quiet.
  const lastWorkEndsMs = Math.max(minLameDuckMs, propagationMs) + handlerDelayMs;
  const { exitAfterMs, quietPeriodMs } = await assertDrainedSoonAfterQuiet(
    pair.a,
    sigtermAtMs,
    lastWorkEndsMs,
  );
  t.diagnostic(
    `A exited ${Math.round(exitAfterMs)} ms after SIGTERM; quiet period ${quietPeriodMs} ms`,
  );

  // 5. B takes the load; nothing failed.
  await assertBTookOver(pair, load.byPid);
  const report = await load.stop();
  assert.deepEqual(report.failures, []);
});
