import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type GrpcLoad, startGrpcLoad } from '../../src/drill/runtime/grpc-load.js';
import type { Load } from '../../src/drill/runtime/open-loop.js';
import { etcdChannelOptions, registerEtcdResolver } from '../../src/grpc/etcd-resolver.js';
import { type CaptureLogger, createCaptureLogger } from './capture-logger.js';
import { type ChildService, startListeningService } from './child-service.js';
import { decodeEchoReply, echoMethods, encodeEchoRequest } from './grpc-echo.js';
import { waitUntil } from './wait-until.js';

/** The example gRPC service run as a child process. */
export const grpcEchoFixture = fileURLToPath(
  new URL('../fixtures/grpc-echo-server.ts', import.meta.url),
);

/** One instance of the example gRPC service. */
export type GrpcPod = ChildService & { port: number; adminPort: number };

/** Starts `count` instances of the example gRPC service with `env`, killed after the test. */
export async function startGrpcPods(
  t: TestContext,
  count: number,
  env: Record<string, string> = {},
): Promise<GrpcPod[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startListeningService(grpcEchoFixture, env)),
  );
  const pods = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  t.after(() => Promise.all(pods.map((pod) => pod.kill())));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return pods;
}

/** A static grpc-js target listing every pod. */
export function staticTarget(pods: readonly GrpcPod[]): string {
  return `ipv4:${pods.map((pod) => `127.0.0.1:${pod.port}`).join(',')}`;
}

/**
 * Runs a steady unary load on `Unary` (`handlerDelayMs` per call) over round_robin across `pods`,
 * stopped after the test, and waits until every pod has answered more than 30 calls.
 */
export async function startUnaryLoad(
  t: TestContext,
  pods: readonly GrpcPod[],
  options: { ratePerSecond: number; handlerDelayMs: number },
): Promise<Load> {
  const load = startGrpcLoad({
    target: staticTarget(pods),
    method: echoMethods.unary,
    request: encodeEchoRequest({ message: 'load', delay_ms: options.handlerDelayMs }),
    pidOf: (bytes) => String(decodeEchoReply(bytes).pid),
    ratePerSecond: options.ratePerSecond,
  });
  t.after(() => load.stop());
  await waitUntil('every pod to serve', () =>
    pods.every((pod) => (load.byPid.get(String(pod.pid)) ?? 0) > 30),
  );
  return load;
}

/**
 * lameduck's `etcd:///` resolver (Echo marked idempotent) on `etcd`, with a logger the test can
 * read, closed after the test.
 */
export function registerEchoResolver(t: TestContext, etcd: { endpoints: string[] }): CaptureLogger {
  const logger = createCaptureLogger();
  const resolver = registerEtcdResolver({
    endpoints: etcd.endpoints,
    idempotentMethods: [{ service: 'lameduck.example.v1.Echo' }],
    logger,
  });
  t.after(() => resolver.close());
  return logger;
}

/**
 * A steady load on `Unary` through `etcd:///echo` with lameduck's client keepalive (2 s
 * deadline), stopped after the test; needs {@link registerEchoResolver}.
 */
export function startEtcdEchoLoad(
  t: TestContext,
  options: { request: Buffer; ratePerSecond: number },
): GrpcLoad {
  const load = startGrpcLoad({
    target: 'etcd:///echo',
    method: echoMethods.unary,
    request: options.request,
    pidOf: (bytes) => String(decodeEchoReply(bytes).pid),
    ratePerSecond: options.ratePerSecond,
    deadlineMs: 2000,
    channelOptions: etcdChannelOptions,
  });
  t.after(() => load.stop());
  return load;
}
