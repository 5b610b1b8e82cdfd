/**
 * Entry point of `make bench`: runs each benchmark in turn, each within its own time bound, then
 * prints a summary table and writes `bench/results/<name>.json` for each one that finished.
 *
 * Usage: `node --import tsx bench/run.ts [name ...]` (no name: every benchmark).
 * Exits 1 when a benchmark failed, 2 on an unknown name. A missed goal is reported, not an error:
 * the figures are the product, and one noisy run should not fail a build.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import type { Benchmark } from './benchmark.js';
import { compileFixtures } from './compiled-fixtures.js';
import { benchmark as deadServerDetection } from './dead-server-detection.js';
import { benchmark as demoFigures } from './demo-figures.js';
import { benchmark as drillCost } from './drill-cost.js';
import { benchmark as etcdPropagation } from './etcd-propagation.js';
import { benchmark as grpcOverhead } from './grpc-overhead.js';
import { benchmark as grpcStreamShutdown } from './grpc-stream-shutdown.js';
import { benchmark as httpOverhead } from './http-overhead.js';
import { benchmark as instructionsPerRequest } from './instructions-per-request.js';
import { benchmark as lintManifests } from './lint-manifests.js';
import { writeResultsFile } from './results-file.js';
import { benchmark as shutdownTime } from './shutdown-time.js';
import { formatSummaryTable, type SummarySection } from './summary-table.js';

const benchmarks: readonly Benchmark[] = [
  httpOverhead,
  grpcOverhead,
  instructionsPerRequest,
  shutdownTime,
  grpcStreamShutdown,
  etcdPropagation,
  deadServerDetection,
  lintManifests,
  drillCost,
  demoFigures,
];

// A benchmark that ignores its aborted signal must not hang `make bench`: past its bound plus
// this, the runner exits, and the exit hook in child-process.ts kills the children left.
const abandonAfterTimeoutMs = 15_000;

function environment() {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: availableParallelism(),
    // Other work on the machine skews the figures; the load average at the start says how much.
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

async function runOne(benchmark: Benchmark, interrupted: AbortSignal): Promise<SummarySection> {
  const log = (line: string): void => console.log(`[${benchmark.name}] ${line}`);
  const startedAt = new Date();
  const startedAtMs = performance.now();
  const env = environment();
  const signal = AbortSignal.any([interrupted, AbortSignal.timeout(benchmark.timeoutMs)]);
  log(`${benchmark.description} (bound ${benchmark.timeoutMs / 1000} s)`);
  // Its `finally` may never run, so nothing short of exiting cleans up after it.
  const abandonTimer = setTimeout(() => {
    console.error(`bench: ${benchmark.name} ignored its deadline; exiting`);
    process.exit(1);
  }, benchmark.timeoutMs + abandonAfterTimeoutMs);
  try {
    const report = await benchmark.run(signal, log);
    const durationMs = Math.round(performance.now() - startedAtMs);
    const path = await writeResultsFile(benchmark.name, {
      name: benchmark.name,
      description: benchmark.description,
      date: startedAt.toISOString(),
      durationMs,
      environment: env,
      labels: report.labels,
      parameters: report.parameters,
      figures: report.figures,
      baseline: report.baseline,
      ratios: report.ratios,
      goals: report.rows
        .filter((row) => row.meetsGoal !== undefined)
        .map((row) => ({ metric: row.metric, goal: row.goal, met: row.meetsGoal })),
      notes: report.notes,
    });
    log(`done in ${(durationMs / 1000).toFixed(1)} s; wrote ${path}`);
    return { name: benchmark.name, labels: report.labels, rows: report.rows };
  } finally {
    clearTimeout(abandonTimer);
  }
}

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !benchmarks.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
    );
    return 2;
  }
  const selected =
    names.length === 0 ? benchmarks : benchmarks.filter((b) => names.includes(b.name));

  // Ctrl-C or a CI timeout's SIGTERM aborts the running benchmark, whose `finally` kills its
  // children; a second signal falls back to the default action.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`bench: ${signal}: stopping`);
    interrupt.abort(new Error(`bench: interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  await compileFixtures(interrupt.signal);
  const sections: SummarySection[] = [];
  const failed: string[] = [];
  for (const benchmark of selected) {
    if (interrupt.signal.aborted) break;
    try {
      sections.push(await runOne(benchmark, interrupt.signal));
    } catch (error) {
      failed.push(benchmark.name);
      console.error(`[${benchmark.name}] failed:`, error);
    }
  }

  console.log('');
  if (sections.length > 0) console.log(formatSummaryTable(sections));
  if (failed.length > 0) console.log(`\nfailed: ${failed.join(', ')}`);
  return failed.length > 0 || interrupt.signal.aborted ? 1 : 0;
}

process.exitCode = await main();
// A leaked socket or timer would keep `make bench` waiting forever; unref'd, this timer lets a
// clean process exit at once and ends a leaky one.
setTimeout(() => {
  console.error('bench: handles still open 5 s after the end; exiting anyway');
  process.exit();
}, 5000).unref();
