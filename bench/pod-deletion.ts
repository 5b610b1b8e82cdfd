/**
 * One pod deletion under steady keep-alive load, modelled on one machine:
 * 1. Start instances A and B of the server, each a child process.
 * 2. Put a kube-proxy-like L4 proxy in front of them: a backend per NEW connection, while
 *    established connections stay where they are.
 * 3. Run a steady load through the proxy (undici Pool of keep-alive connections) and let it warm
 *    up until both instances answer.
 * 4. At t0, delete pod A:
 *    - lameduck: SIGTERM at t0 (no preStop sleep);
 *    - incident's fix: SIGTERM at t0 + the preStop sleep, whose handler calls `server.close()`
 *      and exits once it completes;
 *    - both: A leaves the endpoint list at t0 + the propagation delay, and the kubelet's SIGKILL
 *      comes at t0 + the grace period (which counts from deletion, preStop included).
 * 5. Wait for A's exit, keep the load a little longer on B, then stop it.
 * 6. Record deletion-to-exit, SIGTERM-to-exit and the failed requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type HttpLoad, startHttpLoad } from '../src/drill/runtime/http-load.js';
import { type ServiceProxy, startServiceProxy } from '../src/drill/runtime/service-proxy.js';
import { type BenchChild, spawnBenchChild } from './child-process.js';

const helloServer = fileURLToPath(new URL('./fixtures/hello-server.ts', import.meta.url));

/** How the deletion is staged; see the file's opening comment. */
export interface PodDeletionParameters {
  /** Requests per second through the proxy. */
  ratePerSecond: number;
  /** Keep-alive connections of the load's undici Pool. */
  poolConnections: number;
  /** How long each request takes to answer. */
  handlerDelayMs: number;
  /** Load before the deletion, so that both instances serve and lameduck sees a rate. */
  warmUpMs: number;
  /** From the deletion to A's removal from the endpoint list. */
  endpointPropagationMs: number;
  /** The incident's preStop sleep: from the deletion to its SIGTERM. */
  preStopSleepMs: number;
  /** From the deletion to the kubelet's SIGKILL. */
  terminationGracePeriodSeconds: number;
  /** Load kept on B after A's exit, to catch late failures. */
  tailAfterExitMs: number;
  /** A request unanswered for this long fails. */
  requestTimeoutMs: number;
  /** Environment of the lameduck instances. */
  lameduckEnv: Record<string, string>;
}

const startTimeoutMs = 20_000;
// After stop(), requests still in flight get this long before the load destroys them.
const loadDrainWaitMs = 2000;

/** Which server A and B run: lameduck, or the incident's fix. */
export type Variant = 'lameduck' | 'incident';

/** One run's figures; times in ms from t0 (the pod's deletion) unless named otherwise. */
export interface PodDeletionFigures {
  variant: Variant;
  deletionToExitMs: number;
  sigtermToExitMs: number | undefined;
  exitCode: number | null;
  exitSignal: string | null;
  killedByKubelet: boolean;
  failedRequests: number;
  failuresByCode: Record<string, number>;
  /** The first few failures: when (ms after t0) and what. */
  firstFailures: string[];
  requestsSent: number;
  requestsSucceeded: number;
  answeredByA: number;
  answeredByB: number;
  cutOffAtStop: number;
  /** 200 answers A gave after its SIGTERM (lame duck and drain, or after `server.close()`). */
  answeredByAAfterSigterm: number;
  /** Keep-alive connections through the proxy to A when it was deleted, then when SIGTERM came. */
  connectionsToAAtDeletion: number;
  connectionsToAAtSigterm: number | undefined;
  /** New connections the proxy sent to A after the deletion (before the endpoint removal). */
  connectionsOpenedToAAfterDeletion: number;
  /** A's own account, from its log: lameduck's `stopped` and `lame-duck-ended` events. */
  reportedByA: Record<string, unknown>;
}

interface Instance {
  child: BenchChild;
  port: number;
}

async function startInstance(
  label: string,
  variant: Variant,
  parameters: PodDeletionParameters,
  children: BenchChild[],
  signal: AbortSignal,
): Promise<Instance> {
  const child = spawnBenchChild({
    name: `${label} (${variant})`,
    script: helloServer,
    args: [
      ...(variant === 'lameduck' ? ['--with-lameduck'] : []),
      '--handler-delay-ms',
      String(parameters.handlerDelayMs),
    ],
    env: variant === 'lameduck' ? parameters.lameduckEnv : {},
    cpu: undefined,
  });
  children.push(child);
  const serving = await child.waitForLine(
    (line) => line.event === 'hello-serving',
    AbortSignal.any([signal, AbortSignal.timeout(startTimeoutMs)]),
  );
  return { child, port: Number(serving.port) };
}

/** Resolves with `promise`, or rejects when `signal` aborts first. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function pickFields(line: Record<string, unknown> | undefined, keys: readonly string[]) {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (line?.[key] !== undefined) picked[key] = line[key];
  return picked;
}

/**
 * Stages one pod deletion with A and B running `variant`, and measures it. Everything it starts
 * (children, proxy, load, timers) is stopped before it settles, also when `signal` aborts.
 */
export async function runPodDeletion(
  variant: Variant,
  parameters: PodDeletionParameters,
  signal: AbortSignal,
): Promise<PodDeletionFigures> {
  const children: BenchChild[] = [];
  const timers: NodeJS.Timeout[] = [];
  let proxy: ServiceProxy | undefined;
  let load: HttpLoad | undefined;
  try {
    // 1. Start instances A and B.
    const [a, b] = await Promise.all([
      startInstance('A', variant, parameters, children, signal),
      startInstance('B', variant, parameters, children, signal),
    ]);

    // 2. The proxy, with both as endpoints.
    proxy = await startServiceProxy([a.port, b.port]);
    const service = proxy;

    // 3. Steady load; both instances must answer before the deletion means anything.
    const running = startHttpLoad(
      {
        origin: `http://127.0.0.1:${service.port}`,
        ratePerSecond: parameters.ratePerSecond,
        connectionsPerClient: parameters.poolConnections,
        requestTimeoutMs: parameters.requestTimeoutMs,
      },
      signal,
    );
    load = running;
    await sleep(parameters.warmUpMs, undefined, { signal });
    if (
      (running.byPid.get(String(a.child.pid)) ?? 0) === 0 ||
      (running.byPid.get(String(b.child.pid)) ?? 0) === 0
    ) {
      throw new Error(
        `shutdown-time: after the warm-up A answered ${running.byPid.get(String(a.child.pid)) ?? 0} and B ${running.byPid.get(String(b.child.pid)) ?? 0}; both must serve`,
      );
    }

    // 4. Delete pod A at t0.
    const t0 = performance.now();
    const connectionsToAAtDeletion = service.connectionsTo(a.port);
    const openedToABefore = service.connectionsOpenedTo(a.port);
    let sigtermAtMs: number | undefined;
    let connectionsToAAtSigterm: number | undefined;
    let answeredByAAtSigterm = 0;
    let killedByKubelet = false;
    const sendSigterm = (): void => {
      sigtermAtMs = performance.now();
      connectionsToAAtSigterm = service.connectionsTo(a.port);
      answeredByAAtSigterm = running.byPid.get(String(a.child.pid)) ?? 0;
      a.child.sendSignal('SIGTERM');
    };
    const at = (delayMs: number, action: () => void): void => {
      timers.push(setTimeout(action, delayMs));
    };
    if (variant === 'lameduck') sendSigterm();
    else at(parameters.preStopSleepMs, sendSigterm);
    at(parameters.endpointPropagationMs, () => service.setEndpoints([b.port]));
    at(parameters.terminationGracePeriodSeconds * 1000, () => {
      killedByKubelet = a.child.sendSignal('SIGKILL');
    });

    // 5. A's exit, then a tail of load on B.
    const exit = await unlessAborted(a.child.exited, signal);
    const answeredByAAfterSigterm =
      sigtermAtMs === undefined
        ? 0
        : (running.byPid.get(String(a.child.pid)) ?? 0) - answeredByAAtSigterm;
    const connectionsOpenedToAAfterDeletion = service.connectionsOpenedTo(a.port) - openedToABefore;
    await sleep(parameters.tailAfterExitMs, undefined, { signal });
    const report = await running.stop(loadDrainWaitMs);

    // 6. The run's figures.
    const failuresByCode: Record<string, number> = {};
    for (const f of report.failures) failuresByCode[f.code] = (failuresByCode[f.code] ?? 0) + 1;
    const findLine = (event: string) => a.child.lines.find((line) => line.event === event);
    return {
      variant,
      deletionToExitMs: Math.round(exit.atMs - t0),
      sigtermToExitMs: sigtermAtMs === undefined ? undefined : Math.round(exit.atMs - sigtermAtMs),
      exitCode: exit.code,
      exitSignal: exit.signal,
      killedByKubelet,
      failedRequests: report.failures.length,
      failuresByCode,
      firstFailures: report.failures
        .slice(0, 5)
        .map((f) => `${Math.round(f.atMs - t0)} ms: ${f.code} ${f.message}`),
      requestsSent: report.sent,
      requestsSucceeded: report.succeeded,
      answeredByA: report.byPid.get(String(a.child.pid)) ?? 0,
      answeredByB: report.byPid.get(String(b.child.pid)) ?? 0,
      cutOffAtStop: report.cutOffAtStop,
      answeredByAAfterSigterm,
      connectionsToAAtDeletion,
      connectionsToAAtSigterm,
      connectionsOpenedToAAfterDeletion,
      reportedByA:
        variant === 'lameduck'
          ? {
              ...pickFields(findLine('lame-duck-ended'), [
                'reason',
                'waitedMs',
                'quietPeriodMs',
                'arrivalsPerSecond',
              ]),
              ...pickFields(findLine('stopped'), ['exitCode', 'shutdownMs', 'forced']),
            }
          : {
              closeStarted: findLine('close-started') !== undefined,
              closed: findLine('closed') !== undefined,
            },
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await load?.stop(0);
    await proxy?.close();
    await Promise.all(children.map((child) => child.kill()));
  }
}
