/**
 * A scenario's results as the report and `--json` give them, computed from its recording: per
 * path, requests sent and failed (by cause), latency before and during the event, each deleted
 * pod's end, the rollout's duration, and a timeline in 100 ms steps. Pure.
 */
import type { DrillRecording, TrafficPath } from '../runtime/drill-recorder.js';
import type { PodPhase } from '../runtime/pod-runtime.js';

/** p50 and p99 of a set of latencies, in milliseconds. */
export interface Percentiles {
  p50: number | null;
  p99: number | null;
}

/** What became of one deleted (or lost) pod. */
export interface PodOutcome {
  name: string;
  node: string;
  deletedAtMs: number | null;
  exitedAtMs: number | null;
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
}

/** One 100 ms step of the timeline. */
export interface TimelineStep {
  atMs: number;
  sent: number;
  failed: number;
  phases: Record<string, PodPhase>;
}

/** The results of one scenario on one path (the `--json` shape). */
export interface ScenarioSummary {
  name: string;
  path: TrafficPath;
  /** Requests sent, and held streams that ended (each a call a client made). */
  sent: number;
  failed: number;
  failures: Record<string, number>;
  /** For each cause, the message of its first failure. */
  failureExamples: Record<string, string>;
  /** Held server streams: how many ended, and how (`OK` for an end the server chose). */
  streams: { ended: number; endings: Record<string, number> };
  latencyMs: { before: Percentiles; during: Percentiles };
  /** From the event to the last old pod gone with every new one available (rolling update). */
  rolloutMs: number | null;
  /** The longest a deleted pod took to exit. */
  slowestPodExitMs: number | null;
  pods: PodOutcome[];
  /** Kubelet, node and control-plane events, for the report's bands. */
  events: DrillRecording['events'];
  notes: string[];
  timeline: TimelineStep[];
}

/** The scenario's shape besides its recording. */
export interface ScenarioFrame {
  name: string;
  /** Marks of the recording: `load-started`, `event-started`, `event-ended`, `load-stopped`. */
  recording: DrillRecording;
  pods: PodOutcome[];
  rolloutMs: number | null;
  notes: string[];
}

const stepMs = 100;

/** The summary of `frame` for `path`. */
export function summarizeScenario(frame: ScenarioFrame, path: TrafficPath): ScenarioSummary {
  const { recording } = frame;
  const mark = (label: string) => recording.marks.find((m) => m.label === label)?.atMs;
  const loadStartedAtMs = mark('load-started') ?? 0;
  const eventStartedAtMs = mark('event-started') ?? loadStartedAtMs;
  const eventEndedAtMs = mark('event-ended') ?? eventStartedAtMs;
  const loadStoppedAtMs = mark('load-stopped') ?? eventEndedAtMs;
  const columns = recording.requests[path];
  const failures: Record<string, number> = {};
  const before: number[] = [];
  const during: number[] = [];
  let failed = 0;
  for (let i = 0; i < columns.startedAtMs.length; i++) {
    const startedAtMs = columns.startedAtMs[i] as number;
    const cause = columns.cause[i] as string;
    if (cause !== '') {
      failed += 1;
      failures[cause] = (failures[cause] ?? 0) + 1;
      continue;
    }
    const durationMs = columns.durationMs[i] as number;
    if (startedAtMs < eventStartedAtMs) before.push(durationMs);
    else if (startedAtMs <= eventEndedAtMs) during.push(durationMs);
  }
  // A held stream that ends with an error is a failed call; one the server ended is not.
  const streamColumns = recording.streams[path];
  const endings: Record<string, number> = {};
  for (const cause of streamColumns.cause) {
    endings[cause === '' ? 'OK' : cause] = (endings[cause === '' ? 'OK' : cause] ?? 0) + 1;
    if (cause === '') continue;
    failed += 1;
    failures[`stream ${cause}`] = (failures[`stream ${cause}`] ?? 0) + 1;
  }
  const exits = frame.pods.flatMap((p) =>
    p.deletedAtMs === null || p.exitedAtMs === null ? [] : [p.exitedAtMs - p.deletedAtMs],
  );
  return {
    name: frame.name,
    path,
    sent: columns.startedAtMs.length + streamColumns.startedAtMs.length,
    failed,
    failures,
    failureExamples: {
      ...columns.examples,
      ...Object.fromEntries(
        Object.entries(streamColumns.examples).map(([c, m]) => [`stream ${c}`, m]),
      ),
    },
    streams: { ended: streamColumns.cause.length, endings },
    latencyMs: { before: percentiles(before), during: percentiles(during) },
    rolloutMs: frame.rolloutMs,
    slowestPodExitMs: exits.length === 0 ? null : Math.round(Math.max(...exits)),
    pods: frame.pods,
    events: [...recording.events, ...endpointEvents(recording)].sort((a, b) => a.atMs - b.atMs),
    notes: frame.notes,
    timeline: timeline(recording, path, loadStartedAtMs, loadStoppedAtMs),
  };
}

/**
 * When each pod's endpoint reached the Service's proxy and when it left it (the proxy's view,
 * after the propagation delay), as events.
 */
function endpointEvents(recording: DrillRecording): DrillRecording['events'] {
  const podOf = new Map(
    Object.entries(recording.podAddresses).map(([pod, address]) => [address, pod]),
  );
  const events: DrillRecording['events'] = [];
  let routed = new Set<string>();
  for (const change of recording.endpoints) {
    if (change.stage !== 'applied') continue;
    const now = new Set(change.endpoints.map((e) => e.replace(/:\d+$/, '')));
    for (const address of routed) {
      if (!now.has(address))
        events.push({
          atMs: change.atMs,
          kind: 'endpoint-removed',
          pod: podOf.get(address) ?? address,
        });
    }
    for (const address of now) {
      if (!routed.has(address))
        events.push({
          atMs: change.atMs,
          kind: 'endpoint-added',
          pod: podOf.get(address) ?? address,
        });
    }
    routed = now;
  }
  return events;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { p50: Math.round(rank(0.5) * 10) / 10, p99: Math.round(rank(0.99) * 10) / 10 };
}

function timeline(
  recording: DrillRecording,
  path: TrafficPath,
  fromMs: number,
  toMs: number,
): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const count = Math.max(1, Math.ceil((toMs - fromMs) / stepMs));
  for (let i = 0; i < count; i++)
    steps.push({ atMs: Math.round(fromMs + i * stepMs), sent: 0, failed: 0, phases: {} });
  const columns = recording.requests[path];
  for (let i = 0; i < columns.startedAtMs.length; i++) {
    const step = steps[Math.floor(((columns.startedAtMs[i] as number) - fromMs) / stepMs)];
    if (step === undefined) continue;
    step.sent += 1;
    if (columns.cause[i] !== '') step.failed += 1;
  }
  // A stream counts where it ended: that is when it failed, if it did.
  const streams = recording.streams[path];
  for (let i = 0; i < streams.startedAtMs.length; i++) {
    const endedAtMs = (streams.startedAtMs[i] as number) + (streams.durationMs[i] as number);
    const step = steps[Math.floor((endedAtMs - fromMs) / stepMs)];
    if (step === undefined) continue;
    step.sent += 1;
    if (streams.cause[i] !== '') step.failed += 1;
  }
  // Each pod's phase at the end of each step.
  const phases = [...recording.phases].sort((a, b) => a.atMs - b.atMs);
  const current: Record<string, PodPhase> = {};
  let next = 0;
  for (const step of steps) {
    const endMs = step.atMs + stepMs;
    while (next < phases.length && (phases[next] as { atMs: number }).atMs < endMs) {
      const change = phases[next] as (typeof phases)[number];
      current[change.pod] = change.phase;
      next += 1;
    }
    step.phases = { ...current };
  }
  return steps;
}
