/**
 * One scenario on a fresh cluster: start etcd (for the etcd path) and the Service's proxy, run
 * the workload's pods until every replica is ready (and registered, for the etcd path), put the
 * load on, let it run before the event, play the event, wait until the cluster has settled, let
 * the load run a moment longer, then stop everything the scenario started.
 */

import { LameduckError } from '../../errors/lameduck-error.js';
import { startLocalEtcd } from '../../etcd/index.js';
import type { Logger } from '../../log/logger.js';
import { etcdDiscovery } from '../../registry/etcd-discovery.js';
import type { RegistryFormat } from '../../registry/formats.js';
import type { DrillSpec } from '../model/drill-spec.js';
import type { PropagationRange } from '../model/propagation.js';
import { createRandom } from '../model/random.js';
import type { PodOutcome, ScenarioFrame } from '../report/scenario-summary.js';
import { abortableDelay } from './abortable-delay.js';
import { reserveAddressBlock } from './addresses.js';
import { startDrillCluster } from './drill-cluster.js';
import { createDrillRecorder, type DrillRecording, type TrafficPath } from './drill-recorder.js';
import { checkNetnsSupport, createNetnsNetworks, type NetnsNetworks } from './netns.js';
import { startReaper } from './reaper.js';
import type { ContainerCommand } from './run-line.js';
import { playEvent, type ScenarioName } from './scenario-events.js';
import { type ServiceProxy, startServiceProxy } from './service-proxy.js';
import { startTraffic, type Traffic, type TrafficSpec } from './traffic.js';

/** Everything a drill run needs; the CLI reads it from its flags. */
export interface DrillRunOptions {
  spec: DrillSpec;
  command: ContainerCommand;
  traffic: TrafficSpec;
  /** A server-streaming method whose streams are held open beside the traffic. */
  heldStreams: TrafficSpec | undefined;
  paths: readonly TrafficPath[];
  client: 'lameduck' | 'plain';
  idempotent: boolean;
  ratePerSecond: number;
  streams: number;
  deadlineMs: number;
  nodeCount: number;
  seed: number;
  propagation: PropagationRange;
  nodeMonitorGraceMs: number;
  notReadyTolerationMs: number;
  hangMs: number;
  registry: { format: RegistryFormat; service: string };
  /** The user's etcd; a local one is started per scenario when absent. */
  etcdEndpoints: string[] | undefined;
  envOverrides: Readonly<Record<string, string>>;
  /** Each pod in a network namespace of its own (root and iproute2). */
  netns: boolean;
  /** Env of the drill's own process, which pods inherit (PATH, HOME…). */
  processEnv: Readonly<Record<string, string | undefined>>;
  /** The load runs this long before the event, and this long after the cluster settled. */
  beforeMs: number;
  afterMs: number;
  startTimeoutMs: number;
  scenarioTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** A one-line status, several times a second. */
  progress(status: DrillProgress): void;
}

/** What a running scenario looks like, for the live progress line. */
export interface DrillProgress {
  scenario: ScenarioName;
  elapsedMs: number;
  stage: 'starting' | 'before' | 'event' | 'after';
  sent: number;
  failed: number;
  phases: Record<string, number>;
}

/** Runs `name`; every process it started is stopped when it returns or throws. */
export async function runScenario(
  name: ScenarioName,
  options: DrillRunOptions,
): Promise<ScenarioFrame> {
  const { spec, signal } = options;
  const random = createRandom(options.seed);
  const recorder = createDrillRecorder();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  let stage: DrillProgress['stage'] = 'starting';
  const counts = { sent: 0, failed: 0 };
  try {
    const addresses = await reserveAddressBlock(random);
    cleanups.push(() => addresses.release());
    const reaper = startReaper();
    cleanups.push(() => reaper.close());

    let etcdEndpoints = options.etcdEndpoints;
    if (options.paths.includes('etcd') && etcdEndpoints === undefined) {
      const etcd = await startLocalEtcd({ signal });
      cleanups.push(() => etcd.stop());
      etcdEndpoints = etcd.endpoints;
    }
    let proxy: ServiceProxy | undefined;
    if (options.paths.includes('service')) {
      proxy = await startServiceProxy([], '127.0.0.1');
      const started = proxy;
      cleanups.push(() => started.close());
    }
    const baseEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.processEnv))
      if (value !== undefined) baseEnv[key] = value;
    let networks: NetnsNetworks | undefined;
    if (options.netns) {
      await checkNetnsSupport();
      const made = createNetnsNetworks(addresses.block);
      cleanups.push(() => made.removeAll());
      networks = made;
    }
    const cluster = startDrillCluster({
      spec,
      command: options.command,
      nodeCount: options.nodeCount,
      random,
      addresses,
      reaper,
      recorder,
      propagation: options.propagation,
      nodeMonitorGraceMs: options.nodeMonitorGraceMs,
      notReadyTolerationMs: options.notReadyTolerationMs,
      proxy,
      baseEnv,
      etcdEndpoints: options.paths.includes('etcd') ? etcdEndpoints : undefined,
      networks,
      envOverrides: options.envOverrides,
      signal,
    });
    cleanups.push(() => cluster.close());
    const progressTimer = setInterval(() => {
      const phases: Record<string, number> = {};
      const latest = new Map<string, string>();
      for (const p of recorder.recording().phases) latest.set(p.pod, p.phase);
      for (const phase of latest.values()) phases[phase] = (phases[phase] ?? 0) + 1;
      options.progress({ scenario: name, elapsedMs: recorder.now(), stage, ...counts, phases });
    }, 250);
    cleanups.push(async () => clearInterval(progressTimer));

    await cluster.whenReady(options.startTimeoutMs);
    await cluster.whenRouted(options.startTimeoutMs);
    if (options.paths.includes('etcd') && etcdEndpoints !== undefined) {
      await registered(etcdEndpoints, options, signal);
    }

    const traffics: Traffic[] = [];
    cleanups.push(async () => {
      await Promise.all(traffics.map((t) => t.stop()));
    });
    recorder.mark('load-started');
    for (const path of options.paths) {
      for (const spec of [options.traffic, options.heldStreams]) {
        if (spec === undefined) continue;
        traffics.push(
          await startTraffic({
            spec,
            target:
              path === 'service'
                ? { path, host: (proxy as ServiceProxy).host, port: (proxy as ServiceProxy).port }
                : {
                    path,
                    endpoints: etcdEndpoints as string[],
                    format: options.registry.format,
                    service: options.registry.service,
                    client: options.client,
                    idempotent: options.idempotent,
                  },
            ratePerSecond: options.ratePerSecond,
            streams: options.streams,
            deadlineMs: options.deadlineMs,
            logger: options.logger,
            onSettled: (path, startedAtMs, endedAtMs, outcome, stream) => {
              counts.sent += 1;
              if (!outcome.ok) counts.failed += 1;
              recorder.request(path, startedAtMs, endedAtMs, outcome, stream);
            },
          }),
        );
      }
    }
    stage = 'before';
    await abortableDelay(options.beforeMs, signal);
    checkTrafficFlows(recorder.recording(), options);

    stage = 'event';
    recorder.mark('event-started');
    const eventStartedAtMs = recorder.now();
    const outcome = await playEvent(name, cluster, {
      hangMs: options.hangMs,
      timeoutMs: options.scenarioTimeoutMs,
      replacementWaitLimitMs: Math.min(
        options.scenarioTimeoutMs,
        options.nodeMonitorGraceMs + options.notReadyTolerationMs + 60_000,
      ),
      signal,
    });
    recorder.mark('event-ended');
    const rolloutMs =
      name === 'rolling-update' ? Math.round(recorder.now() - eventStartedAtMs) : null;
    stage = 'after';
    await abortableDelay(options.afterMs, signal);
    await Promise.all(traffics.splice(0).map((t) => t.stop()));
    recorder.mark('load-stopped');

    const recording = recorder.recording();
    const pods: PodOutcome[] = cluster.model.pods
      .filter(
        (p) =>
          p.deletedAtMs !== undefined || (outcome.node !== undefined && p.node === outcome.node),
      )
      .map((p) => {
        const runtime = cluster.pods.get(p.name);
        const exit = runtime?.termination.exit;
        const deleted = recording.events.find((e) => e.kind === 'deleted' && e.pod === p.name);
        return {
          name: p.name,
          node: p.node ?? '',
          deletedAtMs: deleted === undefined ? null : Math.round(deleted.atMs),
          exitedAtMs: p.goneAtMs === undefined ? null : Math.round(p.goneAtMs),
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          killed: runtime?.termination.killed ?? false,
        };
      });
    const notes = [...outcome.notes];
    if (outcome.node !== undefined) notes.unshift(`the event hit ${outcome.node}`);
    return { name, recording, pods, rolloutMs, notes };
  } finally {
    await cleanup();
  }
}

/** Waits until etcd lists every replica under the registry prefix. */
async function registered(
  endpoints: string[],
  options: DrillRunOptions,
  signal: AbortSignal,
): Promise<void> {
  const discovery = etcdDiscovery({
    endpoints,
    service: options.registry.service,
    format: options.registry.format,
    logger: options.logger,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (discovery.loaded && discovery.endpoints.length >= options.spec.workload.replicas)
          done();
      };
      const done = (error?: unknown) => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => done(signal.reason);
      const timer = setTimeout(
        () =>
          done(
            new LameduckError(
              'invalid_config',
              `drill: etcd lists ${discovery.endpoints.length} of ${options.spec.workload.replicas} instances under '${options.registry.service}' (format ${options.registry.format}) ${Math.round(options.startTimeoutMs / 1000)} s after every pod was ready: does the service register itself in the etcd given as ETCD_ENDPOINTS, under that name (--registry-prefix) and format (--registry-format)?`,
            ),
          ),
        options.startTimeoutMs,
      );
      const unsubscribe = discovery.subscribe(check);
      signal.addEventListener('abort', onAbort, { once: true });
      void discovery.whenLoaded().then(check);
    });
  } finally {
    await discovery.close();
  }
}

/** Refuses to drill a service that answers nothing before any event (a wrong path or method). */
function checkTrafficFlows(recording: DrillRecording, options: DrillRunOptions): void {
  for (const path of options.paths) {
    const { cause } = recording.requests[path];
    if (cause.length === 0 || cause.some((c) => c === '')) continue;
    const counts = new Map<string, number>();
    for (const c of cause) counts.set(c, (counts.get(c) ?? 0) + 1);
    const [common] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['?'];
    throw new LameduckError(
      'invalid_config',
      `drill: no request on the ${path} path succeeded before any event (${cause.length} failed, mostly ${common}): check --http or --grpc and --request`,
    );
  }
}
