/**
 * The events a drill plays on its cluster, each resolving when the cluster has settled after it:
 *
 * - `rolling-update`: a new template revision, rolled out by the controller;
 * - `node-drain`: `kubectl drain` of the busiest node: cordon, then an eviction per pod, each
 *   retried every 5 s while the PDB refuses it, as kubectl does;
 * - `node-crash`: every process of the busiest node SIGKILLed at once, no hook; the node turns
 *   NotReady after the monitor grace and its pods are replaced after the toleration;
 * - `node-hang`: every process of the busiest node SIGSTOPped for `hangMs`, then SIGCONTed.
 */
import type { ModelPod } from '../model/cluster-model.js';
import { abortableDelay } from './abortable-delay.js';
import type { DrillCluster } from './drill-cluster.js';

/** The scenarios, in the order the drill runs them. */
export const scenarioNames = ['rolling-update', 'node-drain', 'node-crash', 'node-hang'] as const;

/** A scenario's name. */
export type ScenarioName = (typeof scenarioNames)[number];

/** What an event needs besides the cluster. */
export interface EventOptions {
  hangMs: number;
  /** The longest an event may take to settle. */
  timeoutMs: number;
  /** Stop waiting for replacements that come later than this (a long toleration). */
  replacementWaitLimitMs: number;
  signal: AbortSignal;
}

/** What happened, for the report. */
export interface EventOutcome {
  /** The node the event hit, if any. */
  node: string | undefined;
  /** Notes for the report (a wait cut short, evictions refused). */
  notes: string[];
}

// `kubectl drain` retries a refused eviction after this.
const evictionRetryMs = 5000;

const active = (p: ModelPod) => p.deletedAtMs === undefined && p.goneAtMs === undefined;

/** Every replica is available and no pod on a live node is still terminating. */
function settled(cluster: DrillCluster, lostNode?: string): boolean {
  const { model } = cluster;
  const t = cluster.now();
  const running = model.pods.filter(active);
  return (
    running.length === model.workload.replicas &&
    running.every((p) => model.isAvailable(p, t)) &&
    model.pods.every((p) => p.goneAtMs !== undefined || active(p) || p.node === lostNode)
  );
}

/** The node holding the most of the workload's pods (the first such, by name). */
function busiestNode(cluster: DrillCluster): string {
  const counts = new Map<string, number>();
  for (const pod of cluster.model.pods.filter(active)) {
    if (pod.node !== undefined) counts.set(pod.node, (counts.get(pod.node) ?? 0) + 1);
  }
  const [node] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
  return node ?? 'node-1';
}

/** Plays `name` on `cluster`. */
export async function playEvent(
  name: ScenarioName,
  cluster: DrillCluster,
  options: EventOptions,
): Promise<EventOutcome> {
  switch (name) {
    case 'rolling-update':
      return rollingUpdate(cluster, options);
    case 'node-drain':
      return drainNode(cluster, options);
    case 'node-crash':
      return loseNode(cluster, options, 'crash');
    case 'node-hang':
      return loseNode(cluster, options, 'hang');
  }
}

async function rollingUpdate(cluster: DrillCluster, options: EventOptions): Promise<EventOutcome> {
  cluster.model.startRollout(cluster.now());
  cluster.reconcile();
  await cluster.until(
    () => {
      const state = cluster.model.rolloutState(cluster.now());
      return state.available && state.oldPodsGone;
    },
    options.timeoutMs,
    'the rollout (every new pod available, every old pod gone)',
  );
  return { node: undefined, notes: [] };
}

async function drainNode(cluster: DrillCluster, options: EventOptions): Promise<EventOutcome> {
  const node = busiestNode(cluster);
  const notes: string[] = [];
  cluster.model.cordon(node, cluster.now());
  cluster.reconcile();
  const victims = cluster.model.pods.filter((p) => active(p) && p.node === node);
  const timers = new Set<NodeJS.Timeout>();
  let refusals = 0;
  const evict = (pod: ModelPod): void => {
    if (options.signal.aborted || !active(pod)) return;
    const verdict = cluster.model.evict(pod.name, cluster.now());
    if (verdict.allowed) {
      cluster.reconcile();
      return;
    }
    refusals += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      evict(pod);
    }, evictionRetryMs);
    timers.add(timer);
  };
  for (const pod of victims) evict(pod);
  try {
    await cluster.until(
      () => victims.every((p) => p.goneAtMs !== undefined) && settled(cluster),
      options.timeoutMs,
      `the drain of ${node} (its pods gone, replacements available)`,
    );
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  if (refusals > 0) notes.push(`${refusals} eviction(s) refused by the PDB and retried every 5 s`);
  return { node, notes };
}

async function loseNode(
  cluster: DrillCluster,
  options: EventOptions,
  how: 'crash' | 'hang',
): Promise<EventOutcome> {
  const node = busiestNode(cluster);
  const notes: string[] = [];
  if (how === 'crash') cluster.crashNode(node);
  else cluster.hangNode(node);
  const startedAtMs = cluster.now();
  if (how === 'hang') {
    // The hang itself is the scenario's length, not a wait for something to happen.
    await abortableDelay(options.hangMs, options.signal);
    cluster.resumeNode(node);
  } else {
    await cluster.until(
      () => cluster.model.nodeNotReady(node, cluster.now()),
      options.timeoutMs,
      `${node} to turn NotReady`,
    );
  }
  const waitedMs = cluster.now() - startedAtMs;
  const limitMs = Math.max(0, options.replacementWaitLimitMs - waitedMs);
  try {
    await cluster.until(
      () => settled(cluster, how === 'crash' ? node : undefined),
      limitMs,
      'recovery',
    );
  } catch (error) {
    if (options.signal.aborted) throw error;
    notes.push(
      `not every replica was available again within ${Math.round(options.replacementWaitLimitMs / 1000)} s ` +
        '(pods on a lost node are replaced only after the toleration: shorten it with --toleration-seconds)',
    );
  }
  return { node, notes };
}
