/**
 * `lameduck drill`'s flags and manifests, checked and turned into a run's options; every
 * problem is one line naming the flag or the manifest field. Pure: the CLI reads the files and
 * passes the environment.
 */
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import type { LoadedManifest } from '../k8s/manifest-loader.js';
import type { Logger } from '../log/logger.js';
import { readDrillSpec } from './model/drill-spec.js';
import { parsePropagation } from './model/propagation.js';
import type { TrafficPath } from './runtime/drill-recorder.js';
import { parseRunLine } from './runtime/run-line.js';
import type { DrillRunOptions } from './runtime/run-scenario.js';
import { type ScenarioName, scenarioNames } from './runtime/scenario-events.js';
import type { TrafficSpec } from './runtime/traffic.js';
import { parseGrpcTraffic, parseHttpTraffic } from './traffic-spec.js';

/** The flags as commander gives them. */
export interface DrillCliOptions {
  run: string;
  http?: string;
  grpc?: string;
  request?: string;
  holdStreams?: string;
  holdStreamsRequest?: string;
  rate: number;
  streams: number;
  deadlineMs: number;
  scenario: string;
  path: 'service' | 'etcd' | 'both';
  client: 'lameduck' | 'plain';
  notIdempotent?: boolean;
  registryFormat: 'etcd-naming' | 'go-zero' | 'kratos';
  registryPrefix?: string;
  etcd?: string;
  nodes: number;
  seed: number;
  container?: string;
  env: string[];
  propagationMs: string;
  nodeMonitorGrace: number;
  tolerationSeconds: number;
  hangSeconds: number;
  beforeSeconds: number;
  afterSeconds: number;
  startTimeoutSeconds: number;
  scenarioTimeoutSeconds: number;
  json?: string;
  report?: string;
  netns?: boolean;
}

/** A run's options, but for what the CLI adds as it runs (its signal and progress line). */
export type ParsedDrill = {
  scenarios: ScenarioName[];
  run: Omit<DrillRunOptions, 'signal' | 'progress'>;
};

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `drill: ${message}`));

// Drill logs (discovery, resolver) are kept quiet: the drill prints its own report.
const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Checks `flags` against `manifests`. */
export function parseDrillOptions(
  manifests: readonly LoadedManifest[],
  flags: DrillCliOptions,
  processEnv: Readonly<Record<string, string | undefined>>,
  logger: Logger = quietLogger,
): Result<ParsedDrill> {
  if ((flags.http === undefined) === (flags.grpc === undefined)) {
    return invalid(
      'give the traffic with --http "METHOD /path" or with --grpc FILE.proto:package.Service/Method (one of them)',
    );
  }
  if (flags.request !== undefined && flags.grpc === undefined)
    return invalid('--request goes with --grpc');
  const traffic =
    flags.http === undefined
      ? parseGrpcTraffic(flags.grpc as string, flags.request)
      : parseHttpTraffic(flags.http);
  if (!traffic.ok) return traffic;
  let heldStreams: TrafficSpec | undefined;
  if (flags.holdStreams !== undefined) {
    const held = parseGrpcTraffic(flags.holdStreams, flags.holdStreamsRequest);
    if (!held.ok) return held;
    if (held.value.kind !== 'grpc' || !held.value.serverStreaming) {
      return invalid(
        `--hold-streams needs a server-streaming method, and ${flags.holdStreams} is not one`,
      );
    }
    heldStreams = held.value;
  } else if (flags.holdStreamsRequest !== undefined) {
    return invalid('--hold-streams-request goes with --hold-streams');
  }
  const command = parseRunLine(flags.run);
  if (!command.ok) return command;
  const scenarios: ScenarioName[] = [];
  for (const name of flags.scenario
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (!(scenarioNames as readonly string[]).includes(name)) {
      return invalid(`unknown scenario '${name}' (scenarios: ${scenarioNames.join(', ')})`);
    }
    if (!scenarios.includes(name as ScenarioName)) scenarios.push(name as ScenarioName);
  }
  if (scenarios.length === 0) return invalid('--scenario names no scenario');
  const propagation = parsePropagation(flags.propagationMs);
  if (!propagation.ok) return propagation;
  const envOverrides: Record<string, string> = {};
  for (const entry of flags.env) {
    const match = /^([A-Za-z_][A-Za-z0-9_.-]*)=([\s\S]*)$/.exec(entry);
    if (match === null) return invalid(`--env must be NAME=VALUE, got '${entry}'`);
    envOverrides[match[1] as string] = match[2] as string;
  }
  const spec = readDrillSpec(manifests, { container: flags.container, envOverrides });
  if (!spec.ok) return spec;
  const paths: TrafficPath[] = flags.path === 'both' ? ['service', 'etcd'] : [flags.path];
  if (paths.includes('service') && spec.value.service === undefined) {
    return invalid(
      `no Service selects ${spec.value.workload.kind}/${spec.value.workload.name}'s pods: the service path needs one (or drill --path etcd)`,
    );
  }
  if (paths.includes('service') && spec.value.container.servingPort === undefined) {
    return invalid(
      `the Service's targetPort is not a port of container '${spec.value.container.name}'`,
    );
  }
  const etcdEndpoints = flags.etcd
    ?.split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (etcdEndpoints !== undefined && etcdEndpoints.length === 0)
    return invalid('--etcd names no URL');
  return ok({
    scenarios,
    run: {
      spec: spec.value,
      command: command.value,
      traffic: traffic.value,
      heldStreams,
      paths,
      client: flags.client,
      idempotent: flags.notIdempotent !== true,
      ratePerSecond: flags.rate,
      streams: flags.streams,
      deadlineMs: flags.deadlineMs,
      nodeCount: flags.nodes,
      seed: flags.seed,
      propagation: propagation.value,
      nodeMonitorGraceMs: flags.nodeMonitorGrace * 1000,
      notReadyTolerationMs: flags.tolerationSeconds * 1000,
      hangMs: flags.hangSeconds * 1000,
      registry: {
        format: flags.registryFormat,
        service: flags.registryPrefix ?? spec.value.workload.name,
      },
      etcdEndpoints,
      envOverrides,
      netns: flags.netns === true,
      processEnv,
      beforeMs: flags.beforeSeconds * 1000,
      afterMs: flags.afterSeconds * 1000,
      startTimeoutMs: flags.startTimeoutSeconds * 1000,
      scenarioTimeoutMs: flags.scenarioTimeoutSeconds * 1000,
      logger,
    },
  });
}
