/**
 * Ctrl-C in development drains at once; in a pod a SIGINT waits as a SIGTERM does (issue 15,
 * item 2). Either way the log says, as the wait starts, how long it may take or why it is skipped.
 *
 * 1. Outside Kubernetes (KUBERNETES_SERVICE_HOST unset), default settings: one request, then
 *    SIGINT. The process exits 0 within a second; `lame-duck-started` says the wait is skipped
 *    and why; `lame-duck-ended` says `skipped`.
 * 2. In a pod (KUBERNETES_SERVICE_HOST set): one request, then SIGINT. `lame-duck-started` gives
 *    the bounds and the quiet period, and the wait lasts at least the minimum.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startListeningService } from '../helpers/child-service.js';
import { httpGet } from '../helpers/http-get.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));

test('Ctrl-C outside Kubernetes drains at once and says why the wait was skipped', async (t) => {
  // 1. A developer's laptop: no KUBERNETES_SERVICE_HOST, lameduck's defaults.
  const service = await startListeningService(fixture, { KUBERNETES_SERVICE_HOST: '' });
  t.after(() => service.kill());
  assert.equal((await httpGet(`http://127.0.0.1:${service.port}/`)).status, 200);
  const sigintAtMs = performance.now();
  service.child.kill('SIGINT');
  const exit = await service.exited;
  assert.equal(exit.code, 0, service.stderr());
  const tookMs = exit.atMs - sigintAtMs;
  assert.ok(tookMs < 1000, `exited ${Math.round(tookMs)} ms after SIGINT`);
  const started = await service.waitForLine((l) => l.event === 'lame-duck-started');
  assert.match(String(started.skipped), /^SIGINT outside Kubernetes \(KUBERNETES_SERVICE_HOST/);
  assert.match(String(started.msg), /^lame-duck wait skipped, draining now: /);
  const ended = await service.waitForLine((l) => l.event === 'lame-duck-ended');
  assert.equal(ended.reason, 'skipped');
});

test('SIGINT in a pod keeps the wait, and the log gives its bounds as it starts', async (t) => {
  // 2. KUBERNETES_SERVICE_HOST is set in every container.
  const service = await startListeningService(fixture, {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    LAMEDUCK_MIN_LAME_DUCK_MS: '400',
  });
  t.after(() => service.kill());
  assert.equal((await httpGet(`http://127.0.0.1:${service.port}/`)).status, 200);
  service.child.kill('SIGINT');
  const started = await service.waitForLine((l) => l.event === 'lame-duck-started');
  assert.equal(started.skipped, undefined);
  assert.equal(started.minWaitMs, 400);
  assert.equal(started.maxWaitMs, 14_000);
  assert.match(
    String(started.msg),
    /^lame-duck wait started: serving on for 400 to 14000 ms, until no request has arrived for \d+ ms$/,
  );
  assert.equal((await service.exited).code, 0);
  const ended = await service.waitForLine((l) => l.event === 'lame-duck-ended');
  assert.ok(Number(ended.waitedMs) >= 400, `waited ${String(ended.waitedMs)} ms`);
  assert.notEqual(ended.reason, 'skipped');
});
