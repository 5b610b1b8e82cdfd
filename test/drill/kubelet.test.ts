/**
 * The drill's kubelet with real processes (test/fixtures/drill/kubelet-service.mjs on a pod
 * address of its own):
 *
 * 1. The preStop hook's time counts inside the grace period: SIGTERM after the hook, SIGKILL at
 *    the end of the grace period for a pod that ignores SIGTERM.
 * 2. A hook that outlives the grace period is cut there, and SIGTERM still gets 2 s.
 * 3. Without a hook, a pod that ignores SIGTERM is SIGKILLed when the grace period ends.
 * 4. An exec hook runs with the container's env; an httpGet hook comes from the node's address.
 * 5. Readiness probes gate the pod: failures mark it not ready, successes ready again.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ContainerSpec, PreStopSpec, ProbeSpec } from '../../src/drill/model/drill-spec.js';
import { createRandom } from '../../src/drill/model/random.js';
import { reserveAddressBlock } from '../../src/drill/runtime/addresses.js';
import { createPodRuntime, type PodEventKind } from '../../src/drill/runtime/pod-runtime.js';
import { startReaper } from '../../src/drill/runtime/reaper.js';
import { ok } from '../../src/errors/lameduck-error.js';
import { lintTempDir } from '../helpers/lint-kit.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

const service = fileURLToPath(new URL('../fixtures/drill/kubelet-service.mjs', import.meta.url));
const readiness: ProbeSpec = {
  handler: { kind: 'httpGet', port: 8080, path: '/readyz', scheme: 'HTTP', headers: {} },
  initialDelaySeconds: 0,
  periodSeconds: 1,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 1,
};

/** One pod of the kubelet service, started and ready; its events timed from deletion. */
async function startPod(
  t: TestContext,
  options: {
    graceSeconds: number;
    preStop?: PreStopSpec;
    env?: Record<string, string>;
  },
) {
  const addresses = await reserveAddressBlock(createRandom(process.pid));
  t.after(() => addresses.release());
  const reaper = startReaper();
  t.after(() => reaper.close());
  const podAddress = addresses.podAddress(1);
  const nodeAddress = addresses.nodeAddress(1);
  const container: ContainerSpec = {
    name: 'app',
    servingPort: 8080,
    preStop: options.preStop,
    readinessProbe: readiness,
    livenessProbe: undefined,
    startupProbe: undefined,
    envFor: () => ok({}),
  };
  const events: Array<{ kind: PodEventKind; atMs: number; detail: string | undefined }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const readiness_: boolean[] = [];
  let wake = () => {};
  const changed = () => wake();
  const pod = createPodRuntime({
    name: 'pod-a',
    podAddress,
    nodeAddress,
    container,
    command: { command: process.execPath, args: [service], shellIsPid1: false },
    execPrefix: [],
    env: { ...process.env, POD_IP: podAddress, PORT: '8080', ...options.env } as Record<
      string,
      string
    >,
    terminationGracePeriodSeconds: options.graceSeconds,
    reaper,
    reporter: {
      started() {},
      readiness(ready) {
        readiness_.push(ready);
        changed();
      },
      gone: changed,
      event(kind, detail) {
        events.push({ kind, atMs: performance.now(), detail });
        changed();
      },
      phase() {},
      output(line) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        changed();
      },
    },
  });
  t.after(() => pod.dispose());
  const until = (condition: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}`)),
        TEST_TIMEOUT_MS,
      );
      wake = () => {
        if (!condition()) return;
        clearTimeout(timer);
        resolve();
      };
      wake();
    });
  pod.start();
  await until(() => readiness_.at(-1) === true, 'the pod to become ready');
  /** Milliseconds from `since` to the first event of `kind`. */
  const after = (kind: PodEventKind, since: number) => {
    const event = events.find((e) => e.kind === kind && e.atMs >= since);
    return event === undefined ? undefined : event.atMs - since;
  };
  return { pod, podAddress, nodeAddress, events, lines, readiness: readiness_, until, after };
}

// Timers fire no earlier than asked; a loaded machine may make them late by a few hundred ms.
const near = (actualMs: number | undefined, expectedMs: number) =>
  actualMs !== undefined && actualMs >= expectedMs - 50 && actualMs <= expectedMs + 900;

test('the preStop hook counts inside the grace period; SIGKILL ends the grace period', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 1. grace 4 s, a 1 s sleep hook, SIGTERM ignored.
  const pod = await startPod(t, {
    graceSeconds: 4,
    preStop: { kind: 'sleep', seconds: 1 },
    env: { IGNORE_TERM: '1' },
  });
  const deletedAtMs = performance.now();
  await pod.pod.terminate();
  const sigtermMs = pod.after('sigterm', deletedAtMs);
  const sigkillMs = pod.after('sigkill', deletedAtMs);
  assert.ok(near(sigtermMs, 1000), `SIGTERM ${sigtermMs} ms after deletion`);
  assert.ok(near(sigkillMs, 4000), `SIGKILL ${sigkillMs} ms after deletion`);
  assert.ok(
    pod.lines.some((l) => l.event === 'signal' && l.signal === 'SIGTERM'),
    'SIGTERM reached PID 1',
  );
  assert.equal(pod.pod.termination.killed, true);
  assert.equal(pod.pod.termination.exit?.signal, 'SIGKILL');
});

test('a hook that outlives the grace period is cut there, and SIGTERM still gets 2 s', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 2. grace 2 s, a 30 s sleep hook, SIGTERM ignored.
  const pod = await startPod(t, {
    graceSeconds: 2,
    preStop: { kind: 'sleep', seconds: 30 },
    env: { IGNORE_TERM: '1' },
  });
  const deletedAtMs = performance.now();
  await pod.pod.terminate();
  assert.ok(near(pod.after('hook-failed', deletedAtMs), 2000));
  assert.ok(near(pod.after('sigterm', deletedAtMs), 2000));
  assert.ok(near(pod.after('sigkill', deletedAtMs), 4000), `${pod.after('sigkill', deletedAtMs)}`);
});

test('without a hook, a pod that ignores SIGTERM is SIGKILLed when the grace period ends', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 3.
  const pod = await startPod(t, { graceSeconds: 2, env: { IGNORE_TERM: '1' } });
  const deletedAtMs = performance.now();
  await pod.pod.terminate();
  assert.ok(near(pod.after('sigterm', deletedAtMs), 0));
  assert.ok(near(pod.after('sigkill', deletedAtMs), 2000));
  // One that stops at SIGTERM is not killed.
  const polite = await startPod(t, { graceSeconds: 2 });
  await polite.pod.terminate();
  assert.equal(polite.pod.termination.killed, false);
  assert.equal(polite.pod.termination.exit?.code, 0);
});

test('an exec hook runs with the container’s env; an httpGet hook comes from the node’s address', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 4.
  const dir = await lintTempDir(t);
  const mark = `${dir}/hook-ran`;
  const exec = await startPod(t, {
    graceSeconds: 5,
    preStop: { kind: 'exec', command: ['sh', '-c', 'printf %s "$MARK" > "$HOOK_FILE"'] },
    env: { MARK: 'from-the-container-env', HOOK_FILE: mark },
  });
  await exec.pod.terminate();
  assert.equal(await readFile(mark, 'utf8'), 'from-the-container-env');
  await writeFile(mark, '');

  const http = await startPod(t, {
    graceSeconds: 5,
    preStop: { kind: 'httpGet', port: 8080, path: '/hook', scheme: 'HTTP', headers: {} },
  });
  await http.pod.terminate();
  const hook = http.lines.find((l) => l.event === 'hook');
  assert.equal(hook?.from, http.nodeAddress);
  assert.notEqual(http.nodeAddress, http.podAddress);
});

test('readiness probes gate the pod: failures make it not ready, successes ready again', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // 5.
  const pod = await startPod(t, { graceSeconds: 2 });
  const toggle = (on: 0 | 1) => fetch(`http://${pod.podAddress}:8080/ready?on=${on}`);
  await toggle(0);
  await pod.until(() => pod.readiness.at(-1) === false, 'the pod to turn not ready');
  await toggle(1);
  await pod.until(() => pod.readiness.at(-1) === true, 'the pod to turn ready again');
  assert.deepEqual(pod.readiness, [true, false, true]);
  await pod.pod.terminate();
});
