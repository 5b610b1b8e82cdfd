/**
 * Everything a drill saw, on one clock (milliseconds since the drill's cluster started): every
 * request of every path, every pod phase and kubelet event, every endpoint change (made, and
 * applied by the proxy), the control plane's events, and the scenario's marks. The report is
 * computed from it (`../report/`).
 */
import type { ModelEvent } from '../model/cluster-model.js';
import type { RequestOutcome } from './open-loop.js';
import type { PodEventKind, PodPhase } from './pod-runtime.js';

/** The paths callers take: a Kubernetes Service, or discovery through etcd. */
export type TrafficPath = 'service' | 'etcd';

/** Requests of one path, column by column (a drill records hundreds of thousands). */
export interface RequestColumns {
  startedAtMs: number[];
  durationMs: number[];
  /** `''` for a success, else the failure's cause. */
  cause: string[];
  /** The first message seen for each cause, to show what failed. */
  examples: Record<string, string>;
}

/** A pod's kubelet event, a node event, or a cluster event. */
export interface RecordedEvent {
  atMs: number;
  kind: string;
  pod?: string;
  node?: string;
  detail?: string;
}

/** What a drill recorded. */
export interface DrillRecording {
  requests: Record<TrafficPath, RequestColumns>;
  /** Held server streams, one entry as each ends (started: when it opened). */
  streams: Record<TrafficPath, RequestColumns>;
  phases: Array<{ atMs: number; pod: string; phase: PodPhase }>;
  events: RecordedEvent[];
  /** Endpoints as made (`made`) and as the proxy applied them (`applied`). */
  endpoints: Array<{ atMs: number; stage: 'made' | 'applied'; endpoints: string[] }>;
  marks: Array<{ atMs: number; label: string }>;
  /** Each pod's address (`127.B.N.M`), to name the endpoints. */
  podAddresses: Record<string, string>;
}

/** The recorder the runtime and the loads write to. */
export interface DrillRecorder {
  /** The drill's clock. */
  now(): number;
  /** A request (or a held stream, `stream` true) that ended; times are `performance.now()`. */
  request(
    path: TrafficPath,
    startedAtPerfMs: number,
    endedAtPerfMs: number,
    outcome: RequestOutcome,
    stream?: boolean,
  ): void;
  podPhase(atMs: number, pod: string, phase: PodPhase): void;
  podAddress(pod: string, address: string): void;
  podEvent(
    atMs: number,
    pod: string,
    node: string,
    kind: PodEventKind | 'deleted',
    detail?: string,
  ): void;
  nodeEvent(atMs: number, node: string, kind: string): void;
  endpointsChanged(atMs: number, endpoints: readonly string[]): void;
  proxyUpdated(atMs: number, endpoints: readonly string[]): void;
  /** The control plane's events (kept as the model's list, read at the end). */
  modelEvents(events: readonly ModelEvent[]): void;
  mark(label: string): void;
  recording(): DrillRecording;
}

/** A recorder whose clock starts now. */
export function createDrillRecorder(): DrillRecorder {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const column = (): RequestColumns => ({
    startedAtMs: [],
    durationMs: [],
    cause: [],
    examples: {},
  });
  const requests: Record<TrafficPath, RequestColumns> = { service: column(), etcd: column() };
  const streams: Record<TrafficPath, RequestColumns> = { service: column(), etcd: column() };
  const phases: DrillRecording['phases'] = [];
  const events: RecordedEvent[] = [];
  const endpoints: DrillRecording['endpoints'] = [];
  const marks: DrillRecording['marks'] = [];
  const podAddresses: Record<string, string> = {};
  let modelEvents: readonly ModelEvent[] = [];
  return {
    now,
    request(path, startedAtPerfMs, endedAtPerfMs, outcome, stream = false) {
      const columns = (stream ? streams : requests)[path];
      columns.startedAtMs.push(startedAtPerfMs - t0);
      columns.durationMs.push(endedAtPerfMs - startedAtPerfMs);
      if (outcome.ok) {
        columns.cause.push('');
        return;
      }
      const cause = failureCause(outcome.code, outcome.message);
      columns.cause.push(cause);
      columns.examples[cause] ??= outcome.message.slice(0, 300);
    },
    podPhase(atMs, pod, phase) {
      phases.push({ atMs, pod, phase });
    },
    podAddress(pod, address) {
      podAddresses[pod] = address;
    },
    podEvent(atMs, pod, node, kind, detail) {
      events.push({ atMs, kind, pod, node, ...(detail === undefined ? {} : { detail }) });
    },
    nodeEvent(atMs, node, kind) {
      events.push({ atMs, kind: `node-${kind}`, node });
    },
    endpointsChanged(atMs, list) {
      endpoints.push({ atMs, stage: 'made', endpoints: [...list] });
    },
    proxyUpdated(atMs, list) {
      endpoints.push({ atMs, stage: 'applied', endpoints: [...list] });
    },
    modelEvents(list) {
      modelEvents = list;
    },
    mark(label) {
      marks.push({ atMs: now(), label });
    },
    recording() {
      const control = modelEvents
        .filter((e) =>
          [
            'unschedulable',
            'eviction-refused',
            'cordoned',
            'node-not-ready',
            'node-ready',
            'rollout-started',
          ].includes(e.kind),
        )
        .map((e) => ({ ...e }));
      return {
        requests,
        streams,
        phases: [...phases],
        events: [...events, ...control].sort((a, b) => a.atMs - b.atMs),
        endpoints: [...endpoints],
        marks: [...marks],
        podAddresses: { ...podAddresses },
      };
    },
  };
}

/**
 * The cause of a failed request, for the report: `refused`, `reset` and `timeout` for what the
 * connection did (undici's and Node's codes), `HTTP 503` for an answer, `gRPC UNAVAILABLE` for a
 * gRPC status.
 */
export function failureCause(code: string, message: string): string {
  if (/^HTTP \d+$/.test(code)) return code;
  if (/^[A-Z_]+$/.test(code) && grpcStatusNames.has(code)) return `gRPC ${code}`;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return 'refused';
  if (['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code)) return 'reset';
  if (
    [
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_CONNECT_TIMEOUT',
      'ETIMEDOUT',
    ].includes(code)
  ) {
    return 'timeout';
  }
  return code;
}

const grpcStatusNames = new Set([
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);
