/**
 * Where the scheduler puts a pod: the filters and scores of kube-scheduler that matter for a
 * drill (node unschedulable or NotReady, required pod anti-affinity, topology spread with
 * `DoNotSchedule`; spread with `ScheduleAnyway` or the scheduler's default spreading, preferred
 * anti-affinity), ties broken by the seeded random source, as the scheduler picks at random among
 * the best nodes.
 */
import { selectorMatches } from '../../k8s/label-selector.js';
import type { Random } from './random.js';
import type { AntiAffinityTerm, SpreadConstraint } from './workload-spec.js';

/** A node as the scheduler sees it. */
export interface PlacementNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Cordoned (`spec.unschedulable`) or NotReady (tainted NoSchedule): no new pods. */
  schedulable: boolean;
}

/** A pod already bound to a node. */
export interface PlacedPod {
  node: string;
  labels: Readonly<Record<string, string>>;
  /** Being deleted: still counted by anti-affinity, not by topology spread. */
  terminating: boolean;
}

/** The pod to place. */
export interface PodToPlace {
  labels: Readonly<Record<string, string>>;
  spread: readonly SpreadConstraint[];
  antiAffinity: readonly AntiAffinityTerm[];
}

/** Where a pod goes, or why it cannot go anywhere (the FailedScheduling message). */
export type PlacementResult = { node: string } | { node: undefined; reason: string };

// kube-scheduler's defaults when a pod declares no spread constraint (PodTopologySpread's
// system defaults): soft spreading over hosts and zones.
const hostnameKey = 'kubernetes.io/hostname';
const zoneKey = 'topology.kubernetes.io/zone';
const systemDefaultSpread = (labels: Readonly<Record<string, string>>): SpreadConstraint[] => {
  const selector = { present: true, matchLabels: labels, matchExpressions: [] };
  return [
    {
      maxSkew: 3,
      topologyKey: hostnameKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      selector,
      honorTaints: false,
    },
    {
      maxSkew: 5,
      topologyKey: zoneKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      selector,
      honorTaints: false,
    },
  ];
};

/** Picks a node for `pod` among `nodes`, given the pods already placed. */
export function placePod(
  pod: PodToPlace,
  nodes: readonly PlacementNode[],
  placed: readonly PlacedPod[],
  random: Random,
): PlacementResult {
  const nodeLabels = new Map(nodes.map((node) => [node.name, node.labels]));
  const domainOf = (node: string, key: string) => nodeLabels.get(node)?.[key];
  const countIn = (
    selectorTerm: { selector: SpreadConstraint['selector']; topologyKey: string },
    domain: string | undefined,
    includeTerminating: boolean,
  ) =>
    domain === undefined
      ? 0
      : placed.filter(
          (p) =>
            (includeTerminating || !p.terminating) &&
            domainOf(p.node, selectorTerm.topologyKey) === domain &&
            selectorMatches(selectorTerm.selector, p.labels),
        ).length;

  const reasons: string[] = [];
  const feasible = nodes.filter((node) => {
    if (!node.schedulable) {
      reasons.push(`${node.name}: unschedulable`);
      return false;
    }
    for (const term of pod.antiAffinity) {
      if (term.weight !== undefined) continue;
      if (countIn(term, node.labels[term.topologyKey], true) > 0) {
        reasons.push(`${node.name}: pod anti-affinity`);
        return false;
      }
    }
    for (const constraint of pod.spread) {
      if (constraint.whenUnsatisfiable !== 'DoNotSchedule') continue;
      const domains = new Set(
        nodes.flatMap((n) => {
          const value = n.labels[constraint.topologyKey];
          return value === undefined || (constraint.honorTaints && !n.schedulable) ? [] : [value];
        }),
      );
      const domain = node.labels[constraint.topologyKey];
      if (domain === undefined) {
        reasons.push(`${node.name}: no ${constraint.topologyKey} label`);
        return false;
      }
      const counts = [...domains].map((d) => countIn(constraint, d, false));
      const minMatch = Math.min(...counts);
      const selfMatch = selectorMatches(constraint.selector, pod.labels) ? 1 : 0;
      if (countIn(constraint, domain, false) + selfMatch - minMatch > constraint.maxSkew) {
        reasons.push(`${node.name}: topology spread (${constraint.topologyKey})`);
        return false;
      }
    }
    return true;
  });
  if (feasible.length === 0) {
    return {
      node: undefined,
      reason: `0/${nodes.length} nodes are available: ${reasons.join(', ')}`,
    };
  }

  const softSpread = pod.spread.length === 0 ? systemDefaultSpread(pod.labels) : pod.spread;
  const score = (node: PlacementNode): number => {
    let penalty = 0;
    for (const constraint of softSpread) {
      if (constraint.whenUnsatisfiable !== 'ScheduleAnyway') continue;
      penalty += countIn(constraint, node.labels[constraint.topologyKey], false);
    }
    for (const term of pod.antiAffinity) {
      if (term.weight === undefined) continue;
      penalty += term.weight * countIn(term, node.labels[term.topologyKey], true);
    }
    return penalty;
  };
  const scored = feasible.map((node) => ({ node, penalty: score(node) }));
  const best = Math.min(...scored.map((s) => s.penalty));
  const ties = scored.filter((s) => s.penalty === best);
  const chosen = ties[Math.floor(random() * ties.length)] ?? ties[0];
  return { node: (chosen as { node: PlacementNode }).node.name };
}
