/**
 * What attaching lameduck costs an HTTP server while it serves: throughput and p99 latency of a
 * hello-world node:http server without, then with, `drainHttpServer` and a running lifecycle, and
 * with each peer library in its place (@godaddy/terminus, lightship, http-terminator), loaded by
 * autocannon (see `overhead-comparison.ts` for how the runs are staged).
 */

import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Benchmark } from './benchmark.js';
import { peerNames } from './fixtures/peers.js';
import { type LoadResult, runOverheadComparison } from './overhead-comparison.js';

const helloServer = fileURLToPath(new URL('./fixtures/hello-server.ts', import.meta.url));

const parameters = { connections: 50, pipelining: 1 };

/** Runs autocannon against `url` for `durationSeconds`; stops it early if `signal` aborts. */
function loadWithAutocannon(
  url: string,
  durationSeconds: number,
  signal: AbortSignal,
): Promise<LoadResult> {
  signal.throwIfAborted();
  return new Promise<LoadResult>((resolve, reject) => {
    // autocannon's histogram keeps whole milliseconds; a hello world's p99 is a few ms, so its
    // ratio would move in steps of 20-50 %. Each response's own timing is a float: keep those.
    const latenciesMs: number[] = [];
    const onAbort = (): void => instance.stop();
    const instance = autocannon(
      { url, ...parameters, duration: durationSeconds },
      (error, result) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else if (error !== null) reject(error);
        else
          resolve({
            throughputRps: result.requests.average,
            completedRequests: result.requests.total,
            latenciesMs,
            errors: result.errors + result.non2xx,
            extra: {
              autocannonP99Ms: result.latency.p99,
              timeouts: result.timeouts,
              non2xx: result.non2xx,
            },
          });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, timeMs: number) => {
      latenciesMs.push(timeMs);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'http-overhead',
  description:
    'Throughput and p99 of a hello-world node:http server with lameduck attached, against the same server without it and with each peer library.',
  // 25 runs of (1 s warm-up + 5 s) plus start-up is about 155 s; the rest is slack for slow machines.
  timeoutMs: 320_000,
  run: (signal, log) =>
    runOverheadComparison(
      {
        name: 'http-overhead',
        server: {
          name: 'hello-server',
          script: helloServer,
          readyEvent: 'hello-serving',
          targetOf: (line) => `http://127.0.0.1:${Number(line.port)}/`,
        },
        load: loadWithAutocannon,
        peers: peerNames,
        timing: { warmUpSeconds: 1, measuredSeconds: 5, rounds: 5 },
        throughputGoalRatio: 0.97,
        labels: {
          subject: 'node:http with drainHttpServer + lifecycle (serving, admin on 127.0.0.1:0)',
          baseline: 'plain node:http',
        },
        parameters: {
          ...parameters,
          order: `without, with, ${peerNames.join(', ')}; repeated each round`,
        },
        notes: [
          "Latency percentiles come from every response's own float timing (autocannon's histogram has 1 ms resolution; its p99 is kept as autocannonP99Ms).",
          "Throughput is the mean of autocannon's per-second samples over the measured run; the warm-up run is discarded.",
        ],
      },
      signal,
      log,
    ),
};
