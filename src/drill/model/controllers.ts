/**
 * One sync of the workload's controllers, as Kubernetes' do it:
 *
 * - Deployment (`pkg/controller/deployment/rolling.go`): scale the new ReplicaSet up within
 *   `replicas + maxSurge`, else scale old ReplicaSets down while `replicas - maxUnavailable`
 *   pods stay available (unhealthy old pods first); `Recreate` waits for every old pod to be gone.
 * - ReplicaSet (`pkg/controller/replicaset`): create or delete pods to match its scale, deleting
 *   first the unscheduled, not running, not ready, doubled-up, most recently ready, newest.
 * - StatefulSet (`pkg/controller/statefulset`): one pod per ordinal, created in order (each
 *   after the one before is Running and Ready with `OrderedReady`), updated from the highest
 *   ordinal down, one at a time, each recreated only once the old one is gone.
 *
 * Each call takes at most one step per controller and reports whether anything changed.
 */

import type { DeletionReason, ModelPod } from './cluster-model.js';
import { resolveIntOrPercent } from './int-or-percent.js';
import type { WorkloadSpec } from './workload-spec.js';

/** What a sync reads and acts on. */
export interface ControllerContext {
  workload: WorkloadSpec;
  pods: readonly ModelPod[];
  /** Desired pods per revision (ReplicaSet scale); the Deployment controller changes it. */
  scale: Map<number, number>;
  revision: number;
  statefulCurrentRevision: number;
  isAvailable(pod: ModelPod): boolean;
  createPod(revision: number, ordinal: number | undefined): void;
  deletePod(pod: ModelPod, reason: DeletionReason): void;
  setStatefulCurrentRevision(revision: number): void;
}

const active = (p: ModelPod) => p.deletedAtMs === undefined && p.goneAtMs === undefined;

/** One sync of the workload's controllers; true when anything changed. */
export function controllerSync(context: ControllerContext): boolean {
  if (context.workload.kind === 'StatefulSet') return statefulSetSync(context);
  const scaled = deploymentSync(context);
  const matched = replicaSetSync(context);
  return scaled || matched;
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) of `replicas`; when both come to 0
 * (possible through rounding only: validation refuses both written as 0), maxUnavailable is 1,
 * as `ResolveFenceposts` does.
 */
export function resolveFenceposts(
  strategy: { maxSurge: number | string; maxUnavailable: number | string },
  replicas: number,
): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(strategy.maxSurge, replicas, true, 'maxSurge');
  const unavailable = resolveIntOrPercent(
    strategy.maxUnavailable,
    replicas,
    false,
    'maxUnavailable',
  );
  const s = surge.ok ? surge.value : 0;
  const u = unavailable.ok ? unavailable.value : 0;
  return s === 0 && u === 0 ? { surge: 0, unavailable: 1 } : { surge: s, unavailable: u };
}

function deploymentSync(context: ControllerContext): boolean {
  const { workload, scale, revision, pods } = context;
  const replicas = workload.replicas;
  const scaleOf = (r: number) => scale.get(r) ?? 0;
  const olds = [...scale.keys()].filter((r) => r !== revision).sort((a, b) => a - b);
  const availableOf = (r: number) =>
    pods.filter((p) => p.revision === r && context.isAvailable(p)).length;
  const strategy = workload.strategy;

  if (strategy.type === 'Recreate') {
    const scaledDown = olds.filter((r) => scaleOf(r) > 0);
    for (const r of scaledDown) scale.set(r, 0);
    if (scaledDown.length > 0) return true;
    // Recreate waits until no old pod runs, terminating ones included.
    if (pods.some((p) => p.revision !== revision && p.goneAtMs === undefined)) return false;
    if (scaleOf(revision) === replicas) return false;
    scale.set(revision, replicas);
    return true;
  }
  if (strategy.type !== 'RollingUpdate') return false;
  const { surge, unavailable } = resolveFenceposts(strategy, replicas);
  const total = [...scale.values()].reduce((sum, n) => sum + n, 0);
  // Scale up the new ReplicaSet within replicas + maxSurge.
  if (scaleOf(revision) < replicas && total < replicas + surge) {
    scale.set(
      revision,
      scaleOf(revision) + Math.min(replicas + surge - total, replicas - scaleOf(revision)),
    );
    return true;
  }
  const scalableOlds = olds.filter((r) => scaleOf(r) > 0);
  if (scalableOlds.length === 0) return false;
  const minAvailable = replicas - unavailable;
  const newUnavailable = scaleOf(revision) - availableOf(revision);
  const maxScaledDown = total - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  // Unhealthy old pods go first: they serve nothing.
  let cleaned = 0;
  for (const r of scalableOlds) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = scaleOf(r) - availableOf(r);
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    scale.set(r, scaleOf(r) - down);
    cleaned += down;
  }
  // Then as many available ones as keep minAvailable available.
  const availableAll = [...scale.keys()].reduce((sum, r) => sum + availableOf(r), 0);
  let scaledDown = 0;
  if (availableAll > minAvailable) {
    const allowed = availableAll - minAvailable;
    for (const r of scalableOlds) {
      if (scaledDown >= allowed) break;
      const down = Math.min(scaleOf(r), allowed - scaledDown);
      scale.set(r, scaleOf(r) - down);
      scaledDown += down;
    }
  }
  return cleaned + scaledDown > 0;
}

function replicaSetSync(context: ControllerContext): boolean {
  const { scale, pods, revision } = context;
  let changed = false;
  for (const [r, desired] of scale) {
    const current = pods.filter((p) => p.revision === r && active(p));
    if (current.length < desired) {
      for (let i = current.length; i < desired; i++) context.createPod(r, undefined);
      changed = true;
    } else if (current.length > desired) {
      const reason: DeletionReason = r === revision ? 'scale-down' : 'rolling-update';
      for (const pod of deletionOrder(current, pods).slice(0, current.length - desired)) {
        context.deletePod(pod, context.workload.strategy.type === 'Recreate' ? 'recreate' : reason);
      }
      changed = true;
    }
  }
  return changed;
}

/** The ReplicaSet controller's order of deletion (`ActivePodsWithRanks`): first to go first. */
export function deletionOrder(
  candidates: readonly ModelPod[],
  all: readonly ModelPod[],
): ModelPod[] {
  const onSameNode = (pod: ModelPod) =>
    pod.node === undefined ? 0 : all.filter((p) => active(p) && p.node === pod.node).length;
  return [...candidates].sort(
    (a, b) =>
      Number(a.node !== undefined) - Number(b.node !== undefined) ||
      Number(a.running) - Number(b.running) ||
      Number(a.ready) - Number(b.ready) ||
      onSameNode(b) - onSameNode(a) ||
      (b.readySinceMs ?? Number.POSITIVE_INFINITY) - (a.readySinceMs ?? Number.POSITIVE_INFINITY) ||
      b.createdAtMs - a.createdAtMs,
  );
}

function statefulSetSync(context: ControllerContext): boolean {
  const { workload, pods, revision, statefulCurrentRevision } = context;
  const strategy = workload.strategy;
  const partition = strategy.type === 'StatefulRollingUpdate' ? strategy.partition : 0;
  const podAt = (ordinal: number) =>
    pods.findLast((p) => p.ordinal === ordinal && p.goneAtMs === undefined);
  const healthy = (p: ModelPod) => p.running && p.ready && context.isAvailable(p);
  // Creation, in order.
  for (let ordinal = 0; ordinal < workload.replicas; ordinal++) {
    const pod = podAt(ordinal);
    if (pod === undefined) {
      context.createPod(ordinal < partition ? statefulCurrentRevision : revision, ordinal);
      return true;
    }
    if (workload.orderedReady && !healthy(pod)) return false;
  }
  // Update, highest ordinal first, one at a time, each once every pod is healthy.
  const current = Array.from({ length: workload.replicas }, (_, i) => podAt(i));
  if (current.some((p) => p === undefined || p.deletedAtMs !== undefined || !healthy(p))) {
    return false;
  }
  for (let ordinal = workload.replicas - 1; ordinal >= partition; ordinal--) {
    const pod = current[ordinal] as ModelPod;
    if (pod.revision !== revision) {
      context.deletePod(pod, 'rolling-update');
      return true;
    }
  }
  if (partition === 0 && statefulCurrentRevision !== revision) {
    context.setStatefulCurrentRevision(revision);
  }
  return false;
}
