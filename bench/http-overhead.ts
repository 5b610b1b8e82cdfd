/**
 * What attaching lameduck costs a server while it serves: throughput and p99 latency of a
 * hello-world node:http server without, then with, `drainHttpServer` and a running lifecycle.
 *
 * 1. Start both servers, each in its own child process (pinned to CPU 1 when taskset works).
 * 2. Pin the bench process, which runs autocannon, to CPU 0.
 * 3. For each of 3 rounds, load "without" then "with": a short warm-up, then a measured run.
 *    Alternating cancels drift (thermal, other work on the machine) between the two.
 * 4. Report medians over the rounds and the ratios with/without, plus the server's CPU time per
 *    request (autocannon on one core may saturate before the server does, which hides its cost
 *    in throughput) and the CPU other processes took meanwhile (the machine is shared).
 */

import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonResult } from 'autocannon';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { type BenchChild, spawnBenchChild } from './child-process.js';
import { pinAffinity, planCpus, restoreAffinity } from './cpu-affinity.js';
import { startCpuContention } from './cpu-contention.js';
import { median, percentile, roundTo } from './stats.js';

const helloServer = fileURLToPath(new URL('./fixtures/hello-server.ts', import.meta.url));

const parameters = {
  connections: 50,
  pipelining: 1,
  warmUpSeconds: 1,
  measuredSeconds: 5,
  rounds: 3,
  order: 'without, with; repeated each round',
};
const throughputGoalRatio = 0.97;
const startTimeoutMs = 20_000;
// Other work above this (in cores, during a measured run) gets a note in the report: on two
// cores, a tenth of one is already a few percent of the server's.
const contentionNoteCores = 0.1;

type Variant = 'without' | 'with';

/** One measured run's figures. */
interface RunFigures {
  round: number;
  variant: Variant;
  /** Mean of autocannon's per-second samples of completed requests. */
  throughputRps: number;
  completedRequests: number;
  /** autocannon's p99, whole milliseconds (its histogram's resolution). */
  autocannonP99Ms: number;
  /** p99 and p50 from every response's own timing, sub-millisecond. */
  p99Ms: number;
  p50Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /**
   * The server's CPU time per completed request, in µs: its cost, whichever side saturates first
   * (with autocannon on one core, the load generator can be the bottleneck and hide it).
   */
  serverCpuUsPerRequest: number | undefined;
  /** How busy the server was, in cores (1 = its CPU saturated). */
  serverCores: number | undefined;
  /** CPU other processes took during the measured run, and hypervisor steal, in cores. */
  foreignCores: number | undefined;
  stealCores: number | undefined;
}

interface LoadOutcome {
  result: AutocannonResult;
  latenciesMs: number[];
}

/** Runs autocannon against `url` for `durationSeconds`; stops it early if `signal` aborts. */
function loadWithAutocannon(
  url: string,
  durationSeconds: number,
  signal: AbortSignal,
): Promise<LoadOutcome> {
  signal.throwIfAborted();
  return new Promise<LoadOutcome>((resolve, reject) => {
    // autocannon's histogram keeps whole milliseconds; a hello world's p99 is a few ms, so its
    // ratio would move in steps of 20-50 %. Each response's own timing is a float: keep those.
    const latenciesMs: number[] = [];
    const onAbort = (): void => instance.stop();
    const instance = autocannon(
      {
        url,
        connections: parameters.connections,
        pipelining: parameters.pipelining,
        duration: durationSeconds,
      },
      (error, result) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else if (error !== null) reject(error);
        else resolve({ result, latenciesMs });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, timeMs: number) => {
      latenciesMs.push(timeMs);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Starts a server child, adds it to `children` at once (for the caller's `finally`), and waits. */
async function startServer(
  variant: Variant,
  cpu: number | undefined,
  children: BenchChild[],
  signal: AbortSignal,
): Promise<{ child: BenchChild; url: string }> {
  const child = spawnBenchChild({
    name: `hello-server (${variant} lameduck)`,
    script: helloServer,
    args: variant === 'with' ? ['--with-lameduck'] : [],
    env: {},
    cpu,
  });
  children.push(child);
  const serving = await child.waitForLine(
    (line) => line.event === 'hello-serving',
    AbortSignal.any([signal, AbortSignal.timeout(startTimeoutMs)]),
  );
  return { child, url: `http://127.0.0.1:${Number(serving.port)}/` };
}

async function runHttpOverhead(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const cpus = await planCpus();
  const children: BenchChild[] = [];
  let previousAffinity: string | undefined;
  try {
    // 1. Start both servers.
    const servers = {
      without: await startServer('without', cpus?.serverCpu, children, signal),
      with: await startServer('with', cpus?.serverCpu, children, signal),
    };

    // 2. Pin the load generator to the other core.
    if (cpus !== undefined)
      previousAffinity = await pinAffinity(process.pid, String(cpus.benchCpu));
    log(
      cpus === undefined
        ? 'unpinned: taskset unavailable or a single CPU'
        : `pinned: autocannon on CPU ${cpus.benchCpu}, servers on CPU ${cpus.serverCpu}`,
    );

    // 3. Alternate without/with, round after round.
    const runs: RunFigures[] = [];
    for (let round = 1; round <= parameters.rounds; round++) {
      for (const variant of ['without', 'with'] as const) {
        const { url, child } = servers[variant];
        await loadWithAutocannon(url, parameters.warmUpSeconds, signal);
        const contention = await startCpuContention([process.pid, ...children.map((c) => c.pid)]);
        const { result, latenciesMs } = await loadWithAutocannon(
          url,
          parameters.measuredSeconds,
          signal,
        );
        const usage = await contention.stop();
        const serverCpuMs = usage?.cpuMsByPid[child.pid];
        const figures: RunFigures = {
          round,
          variant,
          throughputRps: roundTo(result.requests.average, 1),
          completedRequests: result.requests.total,
          autocannonP99Ms: result.latency.p99,
          p99Ms: roundTo(percentile(latenciesMs, 99), 3),
          p50Ms: roundTo(percentile(latenciesMs, 50), 3),
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          serverCpuUsPerRequest:
            serverCpuMs === undefined
              ? undefined
              : roundTo((serverCpuMs * 1000) / result.requests.total, 2),
          serverCores:
            usage === undefined || serverCpuMs === undefined
              ? undefined
              : roundTo(serverCpuMs / usage.elapsedMs, 2),
          foreignCores: usage === undefined ? undefined : roundTo(usage.foreignCores, 2),
          stealCores: usage === undefined ? undefined : roundTo(usage.stealCores, 2),
        };
        runs.push(figures);
        log(
          `round ${round} ${variant.padEnd(7)} ${figures.throughputRps} req/s, p99 ${figures.p99Ms} ms` +
            ` (autocannon ${figures.autocannonP99Ms} ms), errors ${figures.errors + figures.non2xx}` +
            `, server ${figures.serverCores ?? '?'} cores, ${figures.serverCpuUsPerRequest ?? '?'} µs CPU/req` +
            `, other work ${figures.foreignCores ?? '?'} cores, steal ${figures.stealCores ?? '?'}`,
        );
      }
    }
    const withLameduck = servers.with.child;
    if (withLameduck.hasExited || withLameduck.lines.some((l) => l.event === 'shutdown-started')) {
      throw new Error('http-overhead: the lameduck server left the serving phase during the run');
    }

    // 4. Medians and ratios.
    const summarise = (variant: Variant) => {
      const mine = runs.filter((r) => r.variant === variant);
      return {
        throughputRps: roundTo(median(mine.map((r) => r.throughputRps)), 1),
        p99Ms: roundTo(median(mine.map((r) => r.p99Ms)), 3),
        p50Ms: roundTo(median(mine.map((r) => r.p50Ms)), 3),
        autocannonP99Ms: median(mine.map((r) => r.autocannonP99Ms)),
        serverCpuUsPerRequest: roundTo(
          median(mine.flatMap((r) => r.serverCpuUsPerRequest ?? [])),
          2,
        ),
        serverCores: roundTo(median(mine.flatMap((r) => r.serverCores ?? [])), 2),
        errors: mine.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        runs: mine,
      };
    };
    const subject = summarise('with');
    const baseline = summarise('without');
    // Pairing each round's two runs cancels drift that medians of separate runs keep.
    const pairedThroughputRatios = Array.from({ length: parameters.rounds }, (_, i) => {
      const w = subject.runs[i]?.throughputRps ?? Number.NaN;
      const wo = baseline.runs[i]?.throughputRps ?? Number.NaN;
      return roundTo(w / wo, 4);
    });
    const throughput = summaryRow(
      'throughput (req/s)',
      subject.throughputRps,
      baseline.throughputRps,
      {
        goal: {
          text: `>= ${throughputGoalRatio}`,
          isMet: (ratio) => ratio >= throughputGoalRatio,
        },
      },
    );
    const p99 = summaryRow('p99 latency (ms)', subject.p99Ms, baseline.p99Ms);
    const p50 = summaryRow('p50 latency (ms)', subject.p50Ms, baseline.p50Ms);
    const cpuPerRequest = summaryRow(
      'server CPU per request (µs)',
      subject.serverCpuUsPerRequest,
      baseline.serverCpuUsPerRequest,
    );

    const notes = [
      "Latency percentiles come from every response's own float timing (autocannon's histogram has 1 ms resolution; its p99 is kept as autocannonP99Ms).",
      "Throughput is the mean of autocannon's per-second samples over the measured run; the warm-up run is discarded.",
      'pairedThroughputRatios divides each round\'s "with" by the same round\'s "without".',
      "Server CPU per request is the server process's user+system time over the run divided by completed requests: the cost of lameduck even when the load generator, not the server, is the bottleneck (serverCores < 1).",
    ];
    if (cpus === undefined) notes.push('Not pinned: load generator and server shared the CPUs.');
    const contended = runs.filter(
      (r) => (r.foreignCores ?? 0) + (r.stealCores ?? 0) > contentionNoteCores,
    );
    if (contended.length > 0) {
      notes.push(
        `Shared machine: in ${contended.length} of ${runs.length} runs other processes or the hypervisor took more than ${contentionNoteCores} cores (foreignCores, stealCores per run); those runs measure the contention as much as the server.`,
      );
    }
    if (subject.errors + baseline.errors > 0) {
      notes.push(`Errors or non-2xx answers: with ${subject.errors}, without ${baseline.errors}.`);
    }
    return {
      labels: {
        subject: 'node:http with drainHttpServer + lifecycle (serving, admin on 127.0.0.1:0)',
        baseline: 'plain node:http',
      },
      parameters: { ...parameters, pinned: cpus ?? false },
      figures: subject,
      baseline,
      ratios: {
        throughput: roundTo(throughput.ratio ?? Number.NaN, 4),
        p99Latency: roundTo(p99.ratio ?? Number.NaN, 4),
        p50Latency: roundTo(p50.ratio ?? Number.NaN, 4),
        pairedThroughputMedian: roundTo(median(pairedThroughputRatios), 4),
        serverCpuPerRequest: roundTo(cpuPerRequest.ratio ?? Number.NaN, 4),
      },
      rows: [throughput, p99, p50, cpuPerRequest],
      notes: [...notes, `pairedThroughputRatios: ${pairedThroughputRatios.join(', ')}`],
    };
  } finally {
    if (previousAffinity !== undefined) await restoreAffinity(process.pid, previousAffinity);
    await Promise.all(children.map((child) => child.kill()));
  }
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'http-overhead',
  description:
    'Throughput and p99 of a hello-world node:http server with lameduck attached, against the same server without it.',
  // 6 runs of (1 s warm-up + 5 s) plus start-up is about 40 s; the rest is slack for slow machines.
  timeoutMs: 120_000,
  run: runHttpOverhead,
};
