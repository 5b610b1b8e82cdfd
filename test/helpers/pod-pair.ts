import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { type HttpLoad, startHttpLoad } from '../../src/drill/runtime/http-load.js';
import { type ServiceProxy, startServiceProxy } from '../../src/drill/runtime/service-proxy.js';
import { type ChildService, startListeningService } from './child-service.js';
import { waitUntil } from './wait-until.js';

type Pod = ChildService & { port: number; adminPort: number };

/** Two instances of a fixture behind a kube-proxy-like service proxy. */
export interface PodPair {
  a: Pod;
  b: Pod;
  proxy: ServiceProxy;
}

/** Successful answers per answering pid, as the load generators count them. */
export type AnswersByPid = ReadonlyMap<string, number>;

/**
 * Starts instances A and B of `fixture` with `env` and a service proxy with both as endpoints;
 * everything is torn down after the test, even when it fails.
 */
export async function startPodPair(
  t: TestContext,
  fixture: string,
  env: Record<string, string>,
): Promise<PodPair> {
  const [a, b] = await Promise.all([
    startListeningService(fixture, env),
    startListeningService(fixture, env),
  ]);
  t.after(() => Promise.all([a.kill(), b.kill()]));
  const proxy = await startServiceProxy([a.port, b.port]);
  t.after(() => proxy.close());
  return { a, b, proxy };
}

/** Waits until each pod has answered more than `count` requests. */
export function waitUntilBothServe(pair: PodPair, byPid: AnswersByPid, count = 50): Promise<void> {
  const served = (pod: Pod): number => byPid.get(String(pod.pid)) ?? 0;
  return waitUntil(
    'both instances to serve',
    () => served(pair.a) > count && served(pair.b) > count,
  );
}

/**
 * Runs the HTTP/1.1 keep-alive load the scenarios use (300 req/s, 4 undici pools of 4
 * connections) through the pair's proxy, stopped after the test, and waits until both pods serve.
 */
export async function startKeepAliveLoad(t: TestContext, pair: PodPair): Promise<HttpLoad> {
  const load = startHttpLoad({
    origin: `http://127.0.0.1:${pair.proxy.port}`,
    ratePerSecond: 300,
    clients: 4,
    connectionsPerClient: 4,
  });
  t.after(() => load.stop());
  await waitUntilBothServe(pair, load.byPid);
  return load;
}

/**
 * Deletes pod A as Kubernetes would: SIGTERM now, and A's endpoint removed from the proxy
 * `propagationMs` later. Returns the time of the SIGTERM.
 */
export function deletePodA(t: TestContext, pair: PodPair, propagationMs: number): number {
  const sigtermAtMs = performance.now();
  pair.a.child.kill('SIGTERM');
  const propagation = setTimeout(() => pair.proxy.setEndpoints([pair.b.port]), propagationMs);
  t.after(() => clearTimeout(propagation));
  return sigtermAtMs;
}

/**
 * Asserts that `pod` exited 0 with nothing forced, within `lastWorkEndsMs` (when its last
 * request or the endpoint removal ended, whichever is later, after the SIGTERM) plus the quiet
 * period plus 1 s. Returns the exit delay and the quiet period.
 */
export async function assertDrainedSoonAfterQuiet(
  pod: Pod,
  sigtermAtMs: number,
  lastWorkEndsMs: number,
): Promise<{ exitAfterMs: number; quietPeriodMs: number }> {
  const exit = await pod.exited;
  assert.equal(exit.code, 0, pod.stderr());
  const stopped = await pod.waitForLine((l) => l.event === 'participant-stopped');
  assert.deepEqual(stopped.forcedWork, []);
  const ended = await pod.waitForLine((l) => l.event === 'lame-duck-ended');
  assert.equal(ended.reason, 'quiet');
  const quietPeriodMs = Number(ended.quietPeriodMs);
  const exitAfterMs = exit.atMs - sigtermAtMs;
  const boundMs = lastWorkEndsMs + quietPeriodMs + 1000;
  assert.ok(
    exitAfterMs <= boundMs,
    `exited ${Math.round(exitAfterMs)} ms after SIGTERM (bound ${boundMs} ms)`,
  );
  return { exitAfterMs, quietPeriodMs };
}

/**
 * After A is gone: waits until B has answered `count` more requests, and checks A answered
 * nothing after its exit. Call before stopping the load.
 */
export async function assertBTookOver(
  pair: PodPair,
  byPid: AnswersByPid,
  count = 60,
): Promise<void> {
  const servedByA = byPid.get(String(pair.a.pid)) ?? 0;
  const servedByB = byPid.get(String(pair.b.pid)) ?? 0;
  await waitUntil(
    `B to serve ${count} more requests`,
    () => (byPid.get(String(pair.b.pid)) ?? 0) > servedByB + count,
  );
  assert.equal(byPid.get(String(pair.a.pid)) ?? 0, servedByA, 'A served nothing after it exited');
}
