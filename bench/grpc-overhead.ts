/**
 * What attaching lameduck costs a gRPC server while it serves: unary throughput and p99 of a
 * grpc-js server without, then with, `drainGrpcServer` (its interceptor counts every call) and a
 * running lifecycle, loaded by a closed-loop grpc-js client (see `overhead-comparison.ts` for how
 * the runs are staged).
 */

import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Benchmark } from './benchmark.js';
import { helloService } from './fixtures/grpc-hello-service.js';
import { type LoadResult, runOverheadComparison } from './overhead-comparison.js';

const grpcHelloServer = fileURLToPath(new URL('./fixtures/grpc-hello-server.ts', import.meta.url));

const parameters = {
  // Separate connections (each client its own subchannel pool), each with calls outstanding.
  channels: 4,
  callsInFlightPerChannel: 16,
  deadlineMs: 5000,
};
const request = Buffer.from('hi');
const sayPath = helloService.Say?.path ?? '';
const bytes = (value: Buffer): Buffer => value;

/**
 * Keeps `callsInFlightPerChannel` unary calls outstanding on each of `channels` clients until
 * `isDone(completedCalls)`: a closed loop, so the figures show the pair's capacity.
 */
export async function loadUnaryClosedLoop(
  target: string,
  isDone: (completedCalls: number) => boolean,
  signal: AbortSignal,
  shape: { channels: number; callsInFlightPerChannel: number } = parameters,
): Promise<LoadResult> {
  signal.throwIfAborted();
  const clients = Array.from(
    { length: shape.channels },
    () => new Client(target, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
  const latenciesMs: number[] = [];
  let errors = 0;
  const startedAtMs = performance.now();
  const loop = (client: Client): Promise<void> =>
    new Promise<void>((resolve) => {
      const next = (): void => {
        if (isDone(latenciesMs.length) || signal.aborted) {
          resolve();
          return;
        }
        const t0 = performance.now();
        client.makeUnaryRequest(
          sayPath,
          bytes,
          bytes,
          request,
          new Metadata(),
          { deadline: Date.now() + parameters.deadlineMs },
          (error: ServiceError | null) => {
            if (error === null) latenciesMs.push(performance.now() - t0);
            else errors++;
            next();
          },
        );
      };
      next();
    });
  try {
    await Promise.all(
      clients.flatMap((client) =>
        Array.from({ length: shape.callsInFlightPerChannel }, () => loop(client)),
      ),
    );
  } finally {
    for (const client of clients) client.close();
  }
  signal.throwIfAborted();
  const elapsedSeconds = (performance.now() - startedAtMs) / 1000;
  return {
    throughputRps: latenciesMs.length / elapsedSeconds,
    completedRequests: latenciesMs.length,
    latenciesMs,
    errors,
  };
}

function loadClosedLoop(
  target: string,
  durationSeconds: number,
  signal: AbortSignal,
): Promise<LoadResult> {
  const endAtMs = performance.now() + durationSeconds * 1000;
  return loadUnaryClosedLoop(target, () => performance.now() >= endAtMs, signal);
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'grpc-overhead',
  description:
    'Unary throughput and p99 of a grpc-js server with drainGrpcServer and the lifecycle, against the same server without them.',
  // 14 runs of (1 s warm-up + 5 s) plus start-up is about 90 s; the rest is slack for slow machines.
  // Seven rounds: the client, not the server, is the bottleneck, and its pace moved by 30 % from
  // one round to the next.
  timeoutMs: 240_000,
  run: (signal, log) =>
    runOverheadComparison(
      {
        name: 'grpc-overhead',
        server: {
          name: 'grpc-hello-server',
          script: grpcHelloServer,
          readyEvent: 'grpc-hello-serving',
          targetOf: (line) => `127.0.0.1:${Number(line.port)}`,
        },
        load: loadClosedLoop,
        timing: { warmUpSeconds: 1, measuredSeconds: 5, rounds: 7 },
        throughputGoalRatio: 0.95,
        labels: {
          subject: 'grpc-js with drainGrpcServer + lifecycle (serving, health service registered)',
          baseline: 'plain grpc-js, bound with bindAsync',
        },
        parameters: { ...parameters, order: 'without, with; repeated each round' },
        notes: [
          "Closed loop: throughput is completed calls over the measured run; latencies are each call's own timing; the warm-up run is discarded.",
          'Requests and replies are raw bytes (no protobuf codec), so that the per-call cost of the server and of lameduck is not diluted.',
        ],
      },
      signal,
      log,
    ),
};
