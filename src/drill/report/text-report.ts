/**
 * The drill's results as text: one block per scenario and path (requests, failures by cause,
 * latency before and during the event, each deleted pod's end, the rollout), then one line per
 * scenario and path to compare them. Pure.
 */
import type { DrillProgress } from '../runtime/run-scenario.js';
import type { Percentiles, ScenarioSummary } from './scenario-summary.js';

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
const latency = (p: Percentiles) => (p.p50 === null ? '-' : `p50 ${p.p50} ms, p99 ${p.p99} ms`);
const count = (n: number) => n.toLocaleString('en-US');

/** The block of one scenario on one path. */
export function formatScenario(summary: ScenarioSummary): string {
  const failures = Object.entries(summary.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `${cause} ${count(n)}`)
    .join(', ');
  const lines = [
    `${summary.name} · ${summary.path} path`,
    `  requests  ${count(summary.sent)} sent, ${count(summary.failed)} failed${failures === '' ? '' : ` (${failures})`}`,
    `  latency   before ${latency(summary.latencyMs.before)}; during ${latency(summary.latencyMs.during)}`,
  ];
  for (const [cause, message] of Object.entries(summary.failureExamples).slice(0, 3)) {
    lines.push(`  e.g.      ${cause}: ${message}`);
  }
  if (summary.streams.ended > 0) {
    const endings = Object.entries(summary.streams.endings)
      .map(([how, n]) => `${how} ${count(n)}`)
      .join(', ');
    lines.push(`  streams   ${count(summary.streams.ended)} ended (${endings})`);
  }
  if (summary.rolloutMs !== null) {
    lines.push(
      `  rollout   ${seconds(summary.rolloutMs)} (every new pod available, every old pod gone)`,
    );
  }
  if (summary.pods.length > 0) {
    lines.push('  pods      deleted → exited        how');
    for (const pod of summary.pods) {
      const exitMs =
        pod.deletedAtMs === null || pod.exitedAtMs === null
          ? null
          : pod.exitedAtMs - pod.deletedAtMs;
      const how = pod.killed
        ? 'SIGKILLed at the end of the grace period'
        : pod.exitedAtMs === null
          ? pod.deletedAtMs === null
            ? 'lost with its node'
            : 'still terminating'
          : pod.signal !== null
            ? `died of ${pod.signal}`
            : `exit ${pod.exitCode}`;
      lines.push(
        `    ${pod.name.padEnd(28)} ${pod.node.padEnd(7)} ${seconds(exitMs).padStart(8)}  ${how}`,
      );
    }
  }
  for (const note of summary.notes) lines.push(`  note      ${note}`);
  return lines.join('\n');
}

/** One line per scenario and path, to compare them. */
export function formatComparison(summaries: readonly ScenarioSummary[]): string {
  const header = ['scenario', 'path', 'sent', 'failed', 'rollout', 'slowest pod exit'];
  const rows = summaries.map((s) => [
    s.name,
    s.path,
    count(s.sent),
    count(s.failed),
    seconds(s.rolloutMs),
    seconds(s.slowestPodExitMs),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        i < 2 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The live status line. */
export function formatProgress(progress: DrillProgress): string {
  const phases = Object.entries(progress.phases)
    .map(([phase, n]) => `${n} ${phase}`)
    .join(', ');
  return (
    `${progress.scenario} ${(progress.elapsedMs / 1000).toFixed(1)} s ${progress.stage}: ` +
    `${count(progress.sent)} sent, ${count(progress.failed)} failed; pods ${phases || 'none yet'}`
  );
}
