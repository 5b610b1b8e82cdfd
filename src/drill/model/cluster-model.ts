/**
 * The drill's model of a Kubernetes cluster running one workload: nodes, pods, and the control
 * plane's reactions (Deployment and ReplicaSet controllers, the StatefulSet controller, the
 * scheduler, the eviction API with its PDB, the node lifecycle controller). Pure: time comes in
 * as `nowMs`, the kubelet's reports come in as calls, and what the kubelets must do comes out
 * of {@link ClusterModel.reconcile} as actions. The runtime (`../runtime/`) runs the pods.
 */
import { controllerSync } from './controllers.js';
import { evictionVerdict } from './disruption-budget.js';
import { type PlacementNode, placePod } from './placement.js';
import { type Random, randomSuffix } from './random.js';
import type { WorkloadSpec } from './workload-spec.js';

/** A node of the model. */
export interface ModelNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  cordoned: boolean;
  /** Since when its kubelet has not been heard from (a crash or a hang), if it is silent. */
  silentSinceMs: number | undefined;
  /** Its pods were evicted by the taint manager (NotReady past the toleration). */
  podsEvicted: boolean;
}

/** Why a pod is being deleted. */
export type DeletionReason =
  | 'scale-down'
  | 'rolling-update'
  | 'recreate'
  | 'eviction'
  | 'node-lost'
  | 'deleted';

/** A pod of the model, through its whole life. */
export interface ModelPod {
  readonly name: string;
  /** The template revision it runs: 1 before the rollout, 2 after. */
  readonly revision: number;
  /** StatefulSet ordinal. */
  readonly ordinal: number | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAtMs: number;
  node: string | undefined;
  /** Its container has started (the kubelet says so). */
  running: boolean;
  /** Its containers are ready, as the kubelet's readiness probes say. */
  containersReady: boolean;
  /** The Ready condition: containers ready and the node not NotReady. */
  ready: boolean;
  /** When `ready` last turned true. */
  readySinceMs: number | undefined;
  deletedAtMs: number | undefined;
  deletionReason: DeletionReason | undefined;
  /** When the kubelet reported it gone (containers exited, pod removed). */
  goneAtMs: number | undefined;
}

/** What a kubelet must do now. */
export type ModelAction = { kind: 'start'; pod: ModelPod } | { kind: 'terminate'; pod: ModelPod };

/** Something the control plane did, for the timeline. */
export interface ModelEvent {
  atMs: number;
  kind:
    | 'rollout-started'
    | 'created'
    | 'scheduled'
    | 'unschedulable'
    | 'ready'
    | 'not-ready'
    | 'deleted'
    | 'eviction-refused'
    | 'gone'
    | 'cordoned'
    | 'node-not-ready'
    | 'node-ready';
  pod?: string;
  node?: string;
  detail?: string;
}

/** A pod's entry in the Service's EndpointSlice (KEP-1672 conditions). */
export interface ModelEndpoint {
  pod: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** Options of {@link createClusterModel}. */
export interface ClusterModelOptions {
  workload: WorkloadSpec;
  /** Nodes `node-1` … `node-N`. */
  nodeCount: number;
  /** Zones the nodes are spread over, round robin (`zone-a`, `zone-b`, …). Default: one per node. */
  zoneCount?: number;
  /** The node lifecycle controller's `--node-monitor-grace-period`. */
  nodeMonitorGraceMs: number;
  /** How long pods stay on a NotReady node before eviction (`tolerationSeconds`, 300 s). */
  notReadyTolerationMs: number;
  random: Random;
}

/** The cluster model; see the module comment. */
export interface ClusterModel {
  readonly workload: WorkloadSpec;
  readonly nodes: readonly ModelNode[];
  /** Every pod ever made, gone ones included, in creation order. */
  readonly pods: readonly ModelPod[];
  readonly events: readonly ModelEvent[];
  /** The newest template revision. */
  readonly revision: number;
  /** The kubelet started the pod's container. */
  podStarted(name: string, nowMs: number): void;
  /** The kubelet's readiness verdict for the pod's containers. */
  podReadiness(name: string, ready: boolean, nowMs: number): void;
  /** The kubelet finished with a deleted pod: it is gone. */
  podGone(name: string, nowMs: number): void;
  /** A new template revision (`kubectl rollout restart`, a new image). */
  startRollout(nowMs: number): void;
  /** `kubectl cordon`. */
  cordon(node: string, nowMs: number): void;
  /** The eviction API for one pod: allowed (the pod is deleted) or refused by the PDB. */
  evict(pod: string, nowMs: number): { allowed: true } | { allowed: false; reason: string };
  /** The node's kubelet stops being heard (crash, hang). */
  nodeSilent(node: string, nowMs: number): void;
  /** The node's kubelet is heard again (a hang ended). */
  nodeHeard(node: string, nowMs: number): void;
  /** Lets the controllers act on the state at `nowMs`; returns what the kubelets must do. */
  reconcile(nowMs: number): ModelAction[];
  /** The next time the state changes by time alone (minReadySeconds, node timeouts). */
  nextWakeAtMs(nowMs: number): number | undefined;
  /** Whether `node` is NotReady at `nowMs`. */
  nodeNotReady(node: string, nowMs: number): boolean;
  /** The Service's endpoints: pods that have a node and are not gone. */
  endpoints(): ModelEndpoint[];
  /** Pods of the workload that count as available at `nowMs` (Ready for minReadySeconds). */
  isAvailable(pod: ModelPod, nowMs: number): boolean;
  /** The newest revision runs on every replica, available, and no older pod is left at all. */
  rolloutState(nowMs: number): { available: boolean; oldPodsGone: boolean };
}

/** Makes a cluster of `nodeCount` nodes with the workload's pods about to be created. */
export function createClusterModel(options: ClusterModelOptions): ClusterModel {
  const { workload, random, nodeMonitorGraceMs, notReadyTolerationMs } = options;
  const zoneCount = options.zoneCount ?? options.nodeCount;
  const nodes: ModelNode[] = Array.from({ length: options.nodeCount }, (_, i) => ({
    name: `node-${i + 1}`,
    labels: {
      'kubernetes.io/hostname': `node-${i + 1}`,
      'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + (i % zoneCount))}`,
    },
    cordoned: false,
    silentSinceMs: undefined,
    podsEvicted: false,
  }));
  const pods: ModelPod[] = [];
  const events: ModelEvent[] = [];
  const minReadyMs = workload.minReadySeconds * 1000;
  // The controllers' desired pods per revision (a ReplicaSet's spec.replicas).
  const scale = new Map<number, number>();
  let revision = 1;
  // The revision a StatefulSet keeps below its partition.
  let statefulCurrentRevision = 1;
  const revisionHashes = new Map<number, string>();
  const unschedulableReported = new Set<string>();
  const pendingActions: ModelAction[] = [];
  scale.set(1, workload.replicas);

  const nodeByName = (name: string | undefined) => nodes.find((n) => n.name === name);
  const podByName = (name: string) => pods.findLast((p) => p.name === name);
  const record = (event: ModelEvent) => events.push(event);
  const nodeNotReady = (name: string | undefined, nowMs: number): boolean => {
    const node = nodeByName(name);
    return node?.silentSinceMs !== undefined && nowMs >= node.silentSinceMs + nodeMonitorGraceMs;
  };
  const active = (p: ModelPod) => p.deletedAtMs === undefined && p.goneAtMs === undefined;
  const isAvailable = (p: ModelPod, nowMs: number) =>
    active(p) && p.ready && p.readySinceMs !== undefined && nowMs - p.readySinceMs >= minReadyMs;

  const refreshReady = (nowMs: number): void => {
    for (const pod of pods) {
      if (pod.goneAtMs !== undefined) continue;
      const ready = pod.running && pod.containersReady && !nodeNotReady(pod.node, nowMs);
      if (ready === pod.ready) continue;
      pod.ready = ready;
      pod.readySinceMs = ready ? nowMs : undefined;
      record({ atMs: nowMs, kind: ready ? 'ready' : 'not-ready', pod: pod.name, node: pod.node });
    }
  };

  const deletePod = (pod: ModelPod, reason: DeletionReason, nowMs: number): void => {
    if (pod.deletedAtMs !== undefined || pod.goneAtMs !== undefined) return;
    pod.deletedAtMs = nowMs;
    pod.deletionReason = reason;
    record({ atMs: nowMs, kind: 'deleted', pod: pod.name, node: pod.node, detail: reason });
    if (pod.node === undefined) {
      // Never scheduled: nothing to stop.
      pod.goneAtMs = nowMs;
      record({ atMs: nowMs, kind: 'gone', pod: pod.name });
      return;
    }
    pendingActions.push({ kind: 'terminate', pod });
  };

  const createPod = (podRevision: number, ordinal: number | undefined, nowMs: number): void => {
    let hash = revisionHashes.get(podRevision);
    if (hash === undefined) {
      hash = randomSuffix(random, 9);
      revisionHashes.set(podRevision, hash);
    }
    const name =
      ordinal === undefined
        ? `${workload.name}-${hash}-${randomSuffix(random, 5)}`
        : `${workload.name}-${ordinal}`;
    pods.push({
      name,
      revision: podRevision,
      ordinal,
      labels: workload.podLabels,
      createdAtMs: nowMs,
      node: undefined,
      running: false,
      containersReady: false,
      ready: false,
      readySinceMs: undefined,
      deletedAtMs: undefined,
      deletionReason: undefined,
      goneAtMs: undefined,
    });
    record({ atMs: nowMs, kind: 'created', pod: name, detail: `revision ${podRevision}` });
  };

  const schedulePending = (nowMs: number): void => {
    const placementNodes: PlacementNode[] = nodes.map((node) => ({
      name: node.name,
      labels: node.labels,
      schedulable: !node.cordoned && !nodeNotReady(node.name, nowMs),
    }));
    for (const pod of pods) {
      if (pod.node !== undefined || !active(pod)) continue;
      const placed = pods.flatMap((p) =>
        p.node === undefined || p.goneAtMs !== undefined
          ? []
          : [{ node: p.node, labels: p.labels, terminating: p.deletedAtMs !== undefined }],
      );
      const result = placePod(
        { labels: pod.labels, spread: workload.spread, antiAffinity: workload.antiAffinity },
        placementNodes,
        placed,
        random,
      );
      if (result.node === undefined) {
        if (!unschedulableReported.has(pod.name)) {
          unschedulableReported.add(pod.name);
          record({ atMs: nowMs, kind: 'unschedulable', pod: pod.name, detail: result.reason });
        }
        continue;
      }
      unschedulableReported.delete(pod.name);
      pod.node = result.node;
      record({ atMs: nowMs, kind: 'scheduled', pod: pod.name, node: result.node });
      pendingActions.push({ kind: 'start', pod });
    }
  };

  const evictFromLostNodes = (nowMs: number): void => {
    for (const node of nodes) {
      if (node.silentSinceMs === undefined || node.podsEvicted) continue;
      if (nowMs < node.silentSinceMs + nodeMonitorGraceMs + notReadyTolerationMs) continue;
      node.podsEvicted = true;
      for (const pod of pods) if (pod.node === node.name) deletePod(pod, 'node-lost', nowMs);
    }
  };

  const model: ClusterModel = {
    workload,
    nodes,
    pods,
    events,
    get revision() {
      return revision;
    },
    podStarted(name, nowMs) {
      const pod = podByName(name);
      if (pod === undefined) return;
      pod.running = true;
      refreshReady(nowMs);
    },
    podReadiness(name, ready, nowMs) {
      const pod = podByName(name);
      if (pod === undefined) return;
      pod.containersReady = ready;
      refreshReady(nowMs);
    },
    podGone(name, nowMs) {
      const pod = podByName(name);
      if (pod === undefined || pod.goneAtMs !== undefined) return;
      pod.goneAtMs = nowMs;
      pod.running = false;
      pod.ready = false;
      record({ atMs: nowMs, kind: 'gone', pod: name, node: pod.node });
    },
    startRollout(nowMs) {
      revision += 1;
      if (workload.kind === 'Deployment') scale.set(revision, 0);
      record({ atMs: nowMs, kind: 'rollout-started', detail: `revision ${revision}` });
    },
    cordon(nodeName, nowMs) {
      const node = nodeByName(nodeName);
      if (node === undefined || node.cordoned) return;
      node.cordoned = true;
      record({ atMs: nowMs, kind: 'cordoned', node: nodeName });
    },
    evict(podName, nowMs) {
      const pod = podByName(podName);
      if (pod === undefined || !active(pod)) return { allowed: true };
      if (workload.pdb !== undefined) {
        const healthy = pods.filter((p) => active(p) && p.ready).length;
        const verdict = evictionVerdict(workload.pdb, workload.replicas, healthy, pod.ready);
        if (!verdict.allowed) {
          record({ atMs: nowMs, kind: 'eviction-refused', pod: podName, detail: verdict.reason });
          return verdict;
        }
      }
      deletePod(pod, 'eviction', nowMs);
      return { allowed: true };
    },
    nodeSilent(nodeName, nowMs) {
      const node = nodeByName(nodeName);
      if (node !== undefined && node.silentSinceMs === undefined) node.silentSinceMs = nowMs;
    },
    nodeHeard(nodeName, nowMs) {
      const node = nodeByName(nodeName);
      if (node === undefined || node.silentSinceMs === undefined) return;
      const wasNotReady = nodeNotReady(nodeName, nowMs);
      node.silentSinceMs = undefined;
      if (wasNotReady) record({ atMs: nowMs, kind: 'node-ready', node: nodeName });
      refreshReady(nowMs);
    },
    reconcile(nowMs) {
      for (const node of nodes) {
        const notReady = nodeNotReady(node.name, nowMs);
        const reported = events.findLast(
          (e) => e.node === node.name && (e.kind === 'node-not-ready' || e.kind === 'node-ready'),
        );
        if (notReady && reported?.kind !== 'node-not-ready') {
          record({
            atMs: (node.silentSinceMs ?? nowMs) + nodeMonitorGraceMs,
            kind: 'node-not-ready',
            node: node.name,
          });
        }
      }
      refreshReady(nowMs);
      evictFromLostNodes(nowMs);
      // Each controller sync takes one step; run them until nothing changes, as the control
      // plane would within a few milliseconds.
      for (let step = 0; step < 1000; step++) {
        const changed = controllerSync({
          workload,
          pods,
          scale,
          revision,
          statefulCurrentRevision,
          isAvailable: (p) => isAvailable(p, nowMs),
          createPod: (podRevision, ordinal) => createPod(podRevision, ordinal, nowMs),
          deletePod: (pod, reason) => deletePod(pod, reason, nowMs),
          setStatefulCurrentRevision: (r) => {
            statefulCurrentRevision = r;
          },
        });
        schedulePending(nowMs);
        if (!changed) break;
      }
      return pendingActions.splice(0);
    },
    nextWakeAtMs(nowMs) {
      const times: number[] = [];
      for (const pod of pods) {
        if (pod.readySinceMs !== undefined && active(pod))
          times.push(pod.readySinceMs + minReadyMs);
      }
      for (const node of nodes) {
        if (node.silentSinceMs === undefined) continue;
        times.push(node.silentSinceMs + nodeMonitorGraceMs);
        if (!node.podsEvicted) {
          times.push(node.silentSinceMs + nodeMonitorGraceMs + notReadyTolerationMs);
        }
      }
      const future = times.filter((t) => t > nowMs);
      return future.length === 0 ? undefined : Math.min(...future);
    },
    nodeNotReady,
    endpoints() {
      return pods
        .filter((p) => p.node !== undefined && p.goneAtMs === undefined)
        .map((p) => ({
          pod: p.name,
          ready: p.ready && p.deletedAtMs === undefined,
          serving: p.ready,
          terminating: p.deletedAtMs !== undefined,
        }));
    },
    isAvailable,
    rolloutState(nowMs) {
      const current = pods.filter((p) => p.revision === revision && active(p));
      const available =
        current.length === workload.replicas && current.every((p) => isAvailable(p, nowMs));
      const oldPodsGone = pods.every((p) => p.revision === revision || p.goneAtMs !== undefined);
      return { available, oldPodsGone };
    },
  };
  return model;
}
