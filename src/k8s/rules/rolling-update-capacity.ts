/**
 * A rollout that takes pods out of service before their replacements are ready, or a `Recreate`
 * strategy behind a Service (every pod stops at once): fewer pods, or none, serve while it runs.
 */

import { record } from '../lenient-data.js';
import {
  type LintRule,
  type ManifestFix,
  type RuleFinding,
  replicaRange,
  type WorkloadContext,
} from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { isRecord, type ManifestPath } from '../manifest-loader.js';
import type { WorkloadView } from '../workload.js';

/** The controllers' default `maxSurge` and `maxUnavailable` (Deployment and Argo Rollouts canary). */
const defaultFencepost = '25%';

/** How many pods a rollout may add and take away at a time. */
export interface Fenceposts {
  surgePods: number;
  unavailablePods: number;
}

/**
 * `maxSurge` and `maxUnavailable` as numbers of pods, as the Deployment controller resolves them
 * (and Argo Rollouts' canary, which copies it): an absent value is 25 %, a percentage of surge
 * rounds up and of unavailability down, and when both come to 0 one pod may be unavailable (so
 * `maxSurge: 0` with the default `maxUnavailable` and 3 replicas takes a pod down).
 * k8s.io/kubernetes pkg/controller/deployment/util ResolveFenceposts.
 */
export function resolveFenceposts(
  maxSurge: unknown,
  maxUnavailable: unknown,
  replicas: number,
): Fenceposts {
  const surgePods = scaledPods(maxSurge ?? defaultFencepost, replicas, Math.ceil);
  const unavailable = scaledPods(maxUnavailable ?? defaultFencepost, replicas, Math.floor);
  return {
    surgePods,
    unavailablePods: Math.min(replicas, surgePods === 0 && unavailable === 0 ? 1 : unavailable),
  };
}

function scaledPods(value: unknown, replicas: number, round: (x: number) => number): number {
  if (typeof value === 'number') return value;
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  return percent === null ? 0 : round((Number(percent[1]) * replicas) / 100);
}

/** `rolling-update-capacity`: a rollout that lowers serving capacity. */
export const rollingUpdateCapacityRule: LintRule = {
  id: 'rolling-update-capacity',
  severity: 'warning',
  summary: 'a rollout takes pods down before their replacements are ready, or all at once',
  check(context) {
    const { workload, services } = context;
    if (workload.kind === 'DaemonSet') return checkDaemonSet(context);
    // With an autoscaler, its minimum is when each pod's share of the load is largest.
    const replicas = replicaRange(context)?.min;
    if (replicas === undefined || replicas < 1) return [];
    const settings = rollingSettings(workload);
    if (settings === undefined) return [];
    const who = `${workload.kind} ${workload.name}`;
    const fix = surgeFix(workload, settings.safe);
    if (settings.kind === 'recreate') {
      if (services.length === 0) return [];
      return [
        {
          message:
            `${who} uses the Recreate strategy behind a Service: every rollout stops all pods ` +
            'before new ones serve, an outage each time. Use RollingUpdate with maxSurge 1, ' +
            'maxUnavailable 0.',
          path: ['spec', 'strategy', 'type'],
          fix,
        },
      ];
    }
    const { maxSurge, maxUnavailable } = settings;
    const { surgePods, unavailablePods } = resolveFenceposts(maxSurge, maxUnavailable, replicas);
    // With few replicas each pod carries a large share of the load: losing any is felt.
    if (unavailablePods === 0 || (replicas > 3 && unavailablePods * 3 < replicas)) return [];
    const shown = (value: unknown) => (value === undefined ? '25% (the default)' : String(value));
    const bothRoundToZero =
      surgePods === 0 && scaledPods(maxUnavailable ?? defaultFencepost, replicas, Math.floor) === 0;
    const how = bothRoundToZero
      ? `maxSurge ${shown(maxSurge)} and maxUnavailable ${shown(maxUnavailable)} both round to 0 ` +
        `of ${replicas} replicas, so the controller takes 1 pod down at a time`
      : `maxUnavailable ${shown(maxUnavailable)} of ${replicas} replicas is ${unavailablePods}`;
    const finding: RuleFinding = {
      message:
        `${who}: ${how}: each rollout step takes ${unavailablePods} of ${replicas} pods out of ` +
        'service before their replacements are ready, and the rest must carry their load. Set ' +
        'maxSurge 1 and maxUnavailable 0.',
      path: [...settings.path, 'maxUnavailable'],
      fix,
    };
    return [finding];
  },
};

/**
 * A DaemonSet rolls node by node: by default (`maxUnavailable: 1`, `maxSurge: 0`) each node's
 * pod stops before its replacement is Ready. Behind a Service that is lost capacity, and with a
 * `Local` traffic policy every request that reaches that node fails meanwhile. Surging (GA in
 * 1.25) starts the new pod first; it cannot with a hostPort or the host's network, where the
 * two pods would want the same port.
 */
function checkDaemonSet({ workload, services }: WorkloadContext): RuleFinding[] {
  if (services.length === 0) return [];
  const strategy = record(workload.spec.updateStrategy);
  if (strategy.type === 'OnDelete') return [];
  const rollingUpdate = record(strategy.rollingUpdate);
  const maxUnavailable = rollingUpdate.maxUnavailable ?? 1;
  if (maxUnavailable === 0 || maxUnavailable === '0%') return [];
  const local = services.find((service) => service.trafficPolicyLocal !== undefined);
  const consequence =
    local === undefined
      ? 'the Service loses that node’s capacity meanwhile'
      : `Service ${local.object.name} has ${local.trafficPolicyLocal}: Local, so every request ` +
        'that reaches that node fails from the old pod’s exit until the new one is Ready';
  const usesHostPort =
    workload.podSpec.hostNetwork === true ||
    workload.containers.some((container) =>
      container.ports.some((port) => port.hostPort !== undefined),
    );
  const path = ['spec', 'updateStrategy', 'rollingUpdate'];
  const finding: RuleFinding = {
    message:
      `DaemonSet ${workload.name}: maxUnavailable ${String(maxUnavailable)}` +
      `${rollingUpdate.maxUnavailable === undefined ? ' (the default)' : ''} stops each node’s ` +
      `pod before its replacement is Ready, and ${consequence}. ` +
      (usesHostPort
        ? 'Its pods bind a host port, so they cannot surge: keep the gap short (fast start, a ' +
          'readiness probe), or move the port off the host.'
        : 'Set maxSurge 1 and maxUnavailable 0 to start the new pod first.'),
    path: [...path, 'maxUnavailable'],
    ...(local === undefined ? {} : { severity: 'error' as const }),
  };
  if (usesHostPort) return [finding];
  const fix = surgeFix(workload, surgeEdits(path, ['spec', 'updateStrategy', 'type']));
  return [{ ...finding, fix }];
}

/**
 * The edits that make a rollout surge: `maxSurge` 1 and `maxUnavailable` 0 under `path`, and
 * `RollingUpdate` at `typePath` when the strategy has a type.
 */
function surgeEdits(path: ManifestPath, typePath?: ManifestPath): Array<[ManifestPath, unknown]> {
  return [
    ...(typePath === undefined ? [] : [[typePath, 'RollingUpdate'] as [ManifestPath, unknown]]),
    [[...path, 'maxSurge'], 1],
    [[...path, 'maxUnavailable'], 0],
  ];
}

/** The fix that makes `edits` (from {@link surgeEdits}). */
function surgeFix(
  workload: WorkloadView,
  edits: ReadonlyArray<[ManifestPath, unknown]>,
): ManifestFix {
  return {
    description: 'roll with maxSurge 1, maxUnavailable 0',
    apply: () => {
      for (const [path, value] of edits) setInObject(workload.object, path, value);
    },
  };
}

type RollingSettings =
  | { kind: 'recreate'; safe: ReadonlyArray<[ManifestPath, unknown]> }
  | {
      kind: 'rolling';
      maxSurge: unknown;
      maxUnavailable: unknown;
      /** Where `maxSurge` and `maxUnavailable` sit. */
      path: ManifestPath;
      /** The edits that make the rollout surge instead. */
      safe: ReadonlyArray<[ManifestPath, unknown]>;
    };

/** A Deployment's strategy, or an Argo Rollout's canary; `undefined` for other rollouts. */
function rollingSettings(workload: WorkloadView): RollingSettings | undefined {
  const strategy = record(workload.spec.strategy);
  if (workload.kind === 'Deployment') {
    const path = ['spec', 'strategy', 'rollingUpdate'];
    const safe = surgeEdits(path, ['spec', 'strategy', 'type']);
    if (strategy.type === 'Recreate') return { kind: 'recreate', safe };
    const rollingUpdate = record(strategy.rollingUpdate);
    const { maxSurge, maxUnavailable } = rollingUpdate;
    return { kind: 'rolling', maxSurge, maxUnavailable, path, safe };
  }
  // Argo Rollouts: a canary without steps rolls like a Deployment; blue-green brings the new
  // pods up in full before switching traffic, so it takes no capacity away.
  if (workload.kind === 'Rollout' && isRecord(strategy.canary)) {
    const path = ['spec', 'strategy', 'canary'];
    const { maxSurge, maxUnavailable } = strategy.canary;
    return { kind: 'rolling', maxSurge, maxUnavailable, path, safe: surgeEdits(path) };
  }
  return undefined;
}
