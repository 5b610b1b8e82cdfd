/**
 * How long a deleted pod takes to go, and what its callers see, under steady keep-alive load:
 * lameduck against the incident's fix (a fixed 15 s preStop sleep, then `server.close()`).
 * Each run is one pod deletion as `pod-deletion.ts` stages it: 300 req/s through a kube-proxy-like
 * L4 proxy (undici Pool of 10 keep-alive connections, 5 ms handler) to instances A and B; at t0
 * A is deleted, it leaves the endpoints at t0 + 400 ms, and the kubelet's SIGKILL comes at
 * t0 + 30 s. lameduck gets SIGTERM at t0; the incident's fix at t0 + 15 s.
 *
 * Runs: lameduck twice and the incident's fix once (lameduck, incident, lameduck), which keeps the
 * whole benchmark under a minute: one incident run takes up to 30 s by construction.
 */
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import {
  type PodDeletionFigures,
  type PodDeletionParameters,
  runPodDeletion,
  type Variant,
} from './pod-deletion.js';
import { median, roundTo } from './stats.js';

const parameters: PodDeletionParameters & { runOrder: readonly Variant[] } = {
  ratePerSecond: 300,
  poolConnections: 10,
  handlerDelayMs: 5,
  warmUpMs: 3000,
  endpointPropagationMs: 400,
  preStopSleepMs: 15_000,
  terminationGracePeriodSeconds: 30,
  tailAfterExitMs: 1000,
  requestTimeoutMs: 10_000,
  lameduckEnv: { LAMEDUCK_MIN_LAME_DUCK_MS: '1000', LAMEDUCK_GRACE_PERIOD_SECONDS: '30' },
  runOrder: ['lameduck', 'incident', 'lameduck'],
};

function summarise(runs: readonly PodDeletionFigures[]) {
  const sigtermToExit = runs.flatMap((r) =>
    r.sigtermToExitMs === undefined ? [] : [r.sigtermToExitMs],
  );
  return {
    runCount: runs.length,
    deletionToExitMs: median(runs.map((r) => r.deletionToExitMs)),
    sigtermToExitMs: median(sigtermToExit),
    failedRequestsPerRun: median(runs.map((r) => r.failedRequests)),
    failedRequestsTotal: runs.reduce((sum, r) => sum + r.failedRequests, 0),
    runs,
  };
}

async function runShutdownTime(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const runs: PodDeletionFigures[] = [];
  for (const variant of parameters.runOrder) {
    const figures = await runPodDeletion(variant, parameters, signal);
    runs.push(figures);
    log(
      `${variant.padEnd(8)} deletion->exit ${figures.deletionToExitMs} ms, SIGTERM->exit ${figures.sigtermToExitMs} ms` +
        `, exit ${figures.exitSignal ?? figures.exitCode}, failed ${figures.failedRequests}/${figures.requestsSent}` +
        ` ${JSON.stringify(figures.failuresByCode)}, A had ${figures.connectionsToAAtDeletion} connections at deletion` +
        ` and answered ${figures.answeredByAAfterSigterm} requests after SIGTERM`,
    );
  }
  const subject = summarise(runs.filter((r) => r.variant === 'lameduck'));
  const baseline = summarise(runs.filter((r) => r.variant === 'incident'));
  const deletionToExit = summaryRow(
    'deletion to exit (ms)',
    subject.deletionToExitMs,
    baseline.deletionToExitMs,
  );
  // The incident's SIGTERM comes after its preStop sleep: the two spans do not compare.
  const sigtermToExit = summaryRow(
    'SIGTERM to exit (ms)',
    subject.sigtermToExitMs,
    baseline.sigtermToExitMs,
    { hasRatio: false },
  );
  const failed = summaryRow(
    'failed requests per run',
    subject.failedRequestsPerRun,
    baseline.failedRequestsPerRun,
  );

  const notes = [
    `Runs: ${parameters.runOrder.join(', ')}; figures are medians per variant (lameduck 2 runs, incident 1).`,
    'deletion is t0; the kubelet SIGKILL comes at t0 + terminationGracePeriodSeconds whatever the variant.',
    'failed requests: undici errors and non-200 answers from the start of the load to 1 s after A exited, through the proxy.',
  ];
  for (const [index, r] of runs.entries()) {
    if (r.killedByKubelet) {
      notes.push(
        `run ${index + 1} (${r.variant}): A did not exit on its own; the kubelet SIGKILL at ${parameters.terminationGracePeriodSeconds} s ended it, after A answered ${r.answeredByAAfterSigterm} requests past SIGTERM.`,
      );
    }
  }
  notes.push(
    "The incident's deletion-to-exit is bimodal: about 15 s when every keep-alive connection to A is idle at SIGTERM (server.close() closes idle connections), 30 s (SIGKILL) when one is busy: Node's server.close() leaves it open, and the proxy keeps sending it requests, so close() never completes. One run shows one mode.",
  );
  return {
    labels: {
      subject: 'lameduck (SIGTERM at deletion, min lame duck 1 s)',
      baseline: "incident's fix (preStop sleep 15 s, then server.close())",
    },
    parameters: { ...parameters },
    figures: subject,
    baseline,
    ratios: {
      deletionToExit: roundTo(deletionToExit.ratio ?? Number.NaN, 4),
      failedRequestsPerRun: roundTo(failed.ratio ?? Number.NaN, 4),
    },
    rows: [deletionToExit, sigtermToExit, failed],
    notes,
  };
}

/** See the file's opening comment. */
export const benchmark: Benchmark = {
  name: 'shutdown-time',
  description:
    "Deletion-to-exit time and failed requests under keep-alive load: lameduck against the incident's 15 s preStop sleep.",
  // Three runs of about 6, 36 and 6 s; the bound leaves room for slow start-ups.
  timeoutMs: 90_000,
  run: runShutdownTime,
};
