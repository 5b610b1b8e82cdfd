/**
 * What attaching lameduck costs a server while it serves, whatever the protocol: throughput and
 * latency of the same server without, then with, lameduck (and with each peer library, where the
 * protocol has peers), side by side in one run.
 *
 * 1. Start every server, each in its own child process (pinned to CPU 1 when taskset works).
 * 2. Pin the bench process, which runs the load generator, to CPU 0.
 * 3. For each round, load every variant in turn: a short warm-up, then a measured run.
 *    Alternating cancels drift (thermal, other work on the machine) between them.
 * 4. Report medians over the rounds and the ratios to the server without lameduck (throughput's
 *    goal is judged on the median of the rounds' paired ratios, with their spread), plus the
 *    server's CPU time per request (a load generator on one core may saturate before the server
 *    does, which hides the server's cost in throughput) and the CPU other processes took
 *    meanwhile (the machine is shared).
 */
import type { BenchmarkReport, SummaryRow } from './benchmark.js';
import { summaryRow } from './benchmark.js';
import { type BenchChild, type LogLine, spawnBenchChild } from './child-process.js';
import { pinAffinity, planCpus, restoreAffinity } from './cpu-affinity.js';
import { startCpuContention } from './cpu-contention.js';
import { median, percentile, roundTo } from './stats.js';

/** Which server a run loads: the bare one, lameduck's, or a peer's (by package name). */
export type Variant = 'without' | 'with' | `peer:${string}`;

/** What one load run measured. */
export interface LoadResult {
  /** Completed requests per second over the run. */
  throughputRps: number;
  completedRequests: number;
  /** Every completed request's latency, sub-millisecond. */
  latenciesMs: ArrayLike<number>;
  /** Failed requests (errors, timeouts, non-success answers). */
  errors: number;
  /** Figures specific to the load generator, kept in the run's figures. */
  extra?: Record<string, number>;
}

/** How to run one comparison; see the file's opening comment. */
export interface OverheadComparison {
  /** Names the benchmark in errors and logs. */
  name: string;
  /**
   * The server child: run as `script`, with `--with-lameduck` for the subject and
   * `--peer <name>` for each of `peers`.
   */
  server: {
    name: string;
    script: string;
    /** The event of the JSON line it prints once it takes traffic. */
    readyEvent: string;
    /** Where to send load, from that line. */
    targetOf(readyLine: LogLine): string;
  };
  /** Loads `target` for `durationSeconds`. */
  load(target: string, durationSeconds: number, signal: AbortSignal): Promise<LoadResult>;
  /** Libraries doing lameduck's job, measured beside it (package names). Default: none. */
  peers?: readonly string[];
  /** Warm-up, measured run and rounds. */
  timing: { warmUpSeconds: number; measuredSeconds: number; rounds: number };
  /** The throughput ratio to reach. */
  throughputGoalRatio: number;
  labels: { subject: string; baseline: string };
  /** How the load was generated, for the report. */
  parameters: Record<string, unknown>;
  /** What a reader must know about this load generator's figures. */
  notes: string[];
}

const startTimeoutMs = 20_000;

/** The server fixture's flags for `variant`. */
export function variantArgs(variant: Variant): string[] {
  if (variant === 'with') return ['--with-lameduck'];
  if (variant === 'without') return [];
  return ['--peer', variant.slice('peer:'.length)];
}

/** Starts the server child for `variant`, adds it to `children` at once, and waits for it. */
async function startServer(
  comparison: OverheadComparison,
  variant: Variant,
  cpu: number | undefined,
  children: BenchChild[],
  signal: AbortSignal,
): Promise<{ child: BenchChild; target: string }> {
  const { server } = comparison;
  const child = spawnBenchChild({
    name: `${server.name} (${variant} lameduck)`,
    script: server.script,
    args: variantArgs(variant),
    env: {},
    cpu,
  });
  children.push(child);
  const ready = await child.waitForLine(
    (line) => line.event === server.readyEvent,
    AbortSignal.any([signal, AbortSignal.timeout(startTimeoutMs)]),
  );
  return { child, target: server.targetOf(ready) };
}

// Other work above this (in cores, during a measured run) gets a note in the report: on two
// cores, a tenth of one is already a few percent of the server's.
const contentionNoteCores = 0.1;

/** One measured run's figures. */
interface RunFigures {
  round: number;
  variant: Variant;
  throughputRps: number;
  completedRequests: number;
  p99Ms: number;
  p50Ms: number;
  errors: number;
  /** The server's CPU time per completed request, in µs: its cost, whichever side saturates. */
  serverCpuUsPerRequest: number | undefined;
  /** How busy the server was, in cores (1 = its CPU saturated). */
  serverCores: number | undefined;
  /** CPU other processes took during the measured run, and hypervisor steal, in cores. */
  foreignCores: number | undefined;
  stealCores: number | undefined;
}

/** Runs `comparison` and builds its report. Kills every child before it settles. */
export async function runOverheadComparison(
  comparison: OverheadComparison,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const { timing } = comparison;
  const cpus = await planCpus();
  const children: BenchChild[] = [];
  let previousAffinity: string | undefined;
  try {
    // 1. Start every server.
    const variants: Variant[] = [
      'without',
      'with',
      ...(comparison.peers ?? []).map((peer): Variant => `peer:${peer}`),
    ];
    const servers = new Map<Variant, { child: BenchChild; target: string }>();
    for (const variant of variants) {
      servers.set(
        variant,
        await startServer(comparison, variant, cpus?.serverCpu, children, signal),
      );
    }
    const serverOf = (variant: Variant) => {
      const server = servers.get(variant);
      if (server === undefined) throw new Error(`${comparison.name}: no server for ${variant}`);
      return server;
    };

    // 2. Pin the load generator to the other core.
    if (cpus !== undefined)
      previousAffinity = await pinAffinity(process.pid, String(cpus.benchCpu));
    log(
      cpus === undefined
        ? 'unpinned: taskset unavailable or a single CPU'
        : `pinned: load generator on CPU ${cpus.benchCpu}, servers on CPU ${cpus.serverCpu}`,
    );

    // 3. Every variant in turn, round after round.
    const runs: Array<RunFigures & Record<string, unknown>> = [];
    for (let round = 1; round <= timing.rounds; round++) {
      for (const variant of variants) {
        const { target, child } = serverOf(variant);
        await comparison.load(target, timing.warmUpSeconds, signal);
        const contention = await startCpuContention([process.pid, ...children.map((c) => c.pid)]);
        const result = await comparison.load(target, timing.measuredSeconds, signal);
        const usage = await contention.stop();
        const serverCpuMs = usage?.cpuMsByPid[child.pid];
        const figures = {
          round,
          variant,
          throughputRps: roundTo(result.throughputRps, 1),
          completedRequests: result.completedRequests,
          p99Ms: roundTo(percentile(result.latenciesMs, 99), 3),
          p50Ms: roundTo(percentile(result.latenciesMs, 50), 3),
          errors: result.errors,
          serverCpuUsPerRequest:
            serverCpuMs === undefined
              ? undefined
              : roundTo((serverCpuMs * 1000) / result.completedRequests, 2),
          serverCores:
            usage === undefined || serverCpuMs === undefined
              ? undefined
              : roundTo(serverCpuMs / usage.elapsedMs, 2),
          foreignCores: usage === undefined ? undefined : roundTo(usage.foreignCores, 2),
          stealCores: usage === undefined ? undefined : roundTo(usage.stealCores, 2),
          ...result.extra,
        };
        runs.push(figures);
        log(
          `round ${round} ${variant.padEnd(20)} ${figures.throughputRps} req/s, p99 ${figures.p99Ms} ms, errors ${figures.errors}` +
            `, server ${figures.serverCores ?? '?'} cores, ${figures.serverCpuUsPerRequest ?? '?'} µs CPU/req` +
            `, other work ${figures.foreignCores ?? '?'} cores, steal ${figures.stealCores ?? '?'}`,
        );
      }
    }
    const withLameduck = serverOf('with').child;
    if (withLameduck.hasExited || withLameduck.lines.some((l) => l.event === 'shutdown-started')) {
      throw new Error(
        `${comparison.name}: the lameduck server left the serving phase during the run`,
      );
    }

    // 4. Medians and ratios.
    const summarise = (variant: Variant) => {
      const mine = runs.filter((r) => r.variant === variant);
      return {
        throughputRps: roundTo(median(mine.map((r) => r.throughputRps)), 1),
        p99Ms: roundTo(median(mine.map((r) => r.p99Ms)), 3),
        p50Ms: roundTo(median(mine.map((r) => r.p50Ms)), 3),
        serverCpuUsPerRequest: roundTo(
          median(mine.flatMap((r) => r.serverCpuUsPerRequest ?? [])),
          2,
        ),
        serverCores: roundTo(median(mine.flatMap((r) => r.serverCores ?? [])), 2),
        errors: mine.reduce((sum, r) => sum + r.errors, 0),
        runs: mine,
      };
    };
    const subject = summarise('with');
    const baseline = summarise('without');
    const peers = (comparison.peers ?? []).map((peer) => ({
      peer,
      ...summarise(`peer:${peer}`),
    }));
    // Pairing each round's two runs cancels drift that medians of separate runs keep. The goal
    // is judged on the median round (the lower middle one for an even count): its two runs are
    // the row's figures, and the spread of all rounds' ratios is reported beside it.
    const pairedRounds = Array.from({ length: timing.rounds }, (_, i) => {
      const withRps = subject.runs[i]?.throughputRps ?? Number.NaN;
      const withoutRps = baseline.runs[i]?.throughputRps ?? Number.NaN;
      return { withRps, withoutRps, ratio: roundTo(withRps / withoutRps, 4) };
    });
    const byRatio = [...pairedRounds].sort((a, b) => a.ratio - b.ratio);
    const medianRound = byRatio[Math.floor((byRatio.length - 1) / 2)];
    const goal = comparison.throughputGoalRatio;
    const throughput = summaryRow(
      `throughput (req/s), median of ${timing.rounds} paired rounds (ratios ${byRatio[0]?.ratio}–${byRatio.at(-1)?.ratio})`,
      medianRound?.withRps ?? Number.NaN,
      medianRound?.withoutRps ?? Number.NaN,
      { goal: { text: `>= ${goal}`, isMet: (ratio) => ratio >= goal } },
    );
    const p99 = summaryRow('p99 latency (ms)', subject.p99Ms, baseline.p99Ms);
    const p50 = summaryRow('p50 latency (ms)', subject.p50Ms, baseline.p50Ms);
    const cpuPerRequest = summaryRow(
      'server CPU per request (µs)',
      subject.serverCpuUsPerRequest,
      baseline.serverCpuUsPerRequest,
    );

    // Each peer's cost beside lameduck's, over the same bare server. No goal here: the CPU time of
    // a run moves by a few percent from run to run, more than the differences between these
    // servers; the goal is judged on instructions-per-request, which counts the same cost.
    const peerRows: SummaryRow[] = peers.map((p) =>
      summaryRow(
        `server CPU per request (µs), ${p.peer}`,
        p.serverCpuUsPerRequest,
        baseline.serverCpuUsPerRequest,
      ),
    );
    const lightest = peers.reduce<(typeof peers)[number] | undefined>(
      (best, p) =>
        best === undefined || p.serverCpuUsPerRequest < best.serverCpuUsPerRequest ? p : best,
      undefined,
    );
    const againstLightest =
      lightest === undefined
        ? []
        : [
            summaryRow(
              `lameduck CPU per request over the lightest peer (${lightest.peer}, µs)`,
              subject.serverCpuUsPerRequest,
              lightest.serverCpuUsPerRequest,
            ),
          ];

    const notes = [
      ...comparison.notes,
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
      notes.push(`Errors: with ${subject.errors}, without ${baseline.errors}.`);
    }
    return {
      labels: comparison.labels,
      parameters: { ...comparison.parameters, ...timing, pinned: cpus ?? false },
      figures: subject,
      baseline: { ...baseline, ...(peers.length > 0 ? { peers } : {}) },
      ratios: {
        throughput: roundTo(subject.throughputRps / baseline.throughputRps, 4),
        p99Latency: roundTo(p99.ratio ?? Number.NaN, 4),
        p50Latency: roundTo(p50.ratio ?? Number.NaN, 4),
        pairedThroughputMedian: roundTo(throughput.ratio ?? Number.NaN, 4),
        pairedThroughputMin: byRatio[0]?.ratio ?? Number.NaN,
        pairedThroughputMax: byRatio.at(-1)?.ratio ?? Number.NaN,
        serverCpuPerRequest: roundTo(cpuPerRequest.ratio ?? Number.NaN, 4),
        ...Object.fromEntries(
          peerRows.map((row, i) => [
            `serverCpuPerRequest:${peers[i]?.peer}`,
            roundTo(row.ratio ?? Number.NaN, 4),
          ]),
        ),
        ...(againstLightest[0] === undefined
          ? {}
          : { lameduckOverLightestPeerCpu: roundTo(againstLightest[0].ratio ?? Number.NaN, 4) }),
      },
      rows: [throughput, p99, p50, cpuPerRequest, ...peerRows, ...againstLightest],
      notes: [...notes, `pairedThroughputRatios: ${pairedRounds.map((r) => r.ratio).join(', ')}`],
    };
  } finally {
    if (previousAffinity !== undefined) await restoreAffinity(process.pid, previousAffinity);
    await Promise.all(children.map((child) => child.kill()));
  }
}
