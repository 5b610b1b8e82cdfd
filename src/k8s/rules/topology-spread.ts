/**
 * Replicas with nothing spreading them across nodes may all land on one node, and that node's
 * reboot or hardware fault takes the whole service: the incident's first failure. Only a spread
 * or anti-affinity on the node (`kubernetes.io/hostname`) that counts the workload's own pods
 * prevents it: a zone spread puts them in different zones, yet a zone of several nodes may still
 * hold two of them on one node.
 */
import { selectorMatches } from '../label-selector.js';
import { list, record } from '../lenient-data.js';
import { type LintRule, replicaRange } from '../lint-rule.js';
import { appendInObject } from '../manifest-edit.js';
import { isRecord } from '../manifest-loader.js';
import { readLabelSelector } from '../workload.js';

const hostnameKey = 'kubernetes.io/hostname';
const zoneKey = 'topology.kubernetes.io/zone';

/** `topology-spread`: a multi-replica workload not spread across nodes. */
export const topologySpreadRule: LintRule = {
  id: 'topology-spread',
  severity: 'warning',
  summary: 'multi-replica pods are not spread across nodes',
  check(context) {
    const { workload } = context;
    // A DaemonSet (no replica range) already runs one pod per node.
    const replicas = replicaRange(context);
    if (replicas === undefined || replicas.max < 2) return [];
    const { podSpec, podLabels } = workload;
    const keys = spreadKeys(podSpec, podLabels);
    if (keys.has(hostnameKey)) return [];
    const zoneOnly = keys.has(zoneKey)
      ? ` A spread on ${zoneKey} alone does not keep them off one node when a zone has several.`
      : '';
    return [
      {
        message:
          `${workload.kind} ${workload.name} runs ${replicas.text} with no topologySpreadConstraints ` +
          `or pod anti-affinity on ${hostnameKey} that selects its own pods: they may share a node, ` +
          `and one node's reboot or crash takes them all.${zoneOnly} Spread them across nodes.`,
        path: workload.podSpecPath,
        fix: {
          description: `add a topologySpreadConstraint on ${hostnameKey}`,
          apply: () =>
            appendInObject(
              workload.object,
              [...workload.podSpecPath, 'topologySpreadConstraints'],
              {
                maxSkew: 1,
                topologyKey: hostnameKey,
                // ScheduleAnyway: a fix must never leave a pod Pending on a cluster too small.
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { ...podLabels } },
              },
            ),
        },
      },
    ];
  },
};

/**
 * The topology keys the pods are spread or kept apart on. A constraint or term counts only when
 * its label selector selects the pods themselves: one without a selector matches no pods, and one
 * that selects other pods keeps them apart from those, not from each other.
 */
function spreadKeys(
  podSpec: Readonly<Record<string, unknown>>,
  podLabels: Readonly<Record<string, string>>,
): Set<string> {
  const anti = record(record(podSpec.affinity).podAntiAffinity);
  const terms = [
    ...list(podSpec.topologySpreadConstraints),
    ...list(anti.requiredDuringSchedulingIgnoredDuringExecution),
    ...list(anti.preferredDuringSchedulingIgnoredDuringExecution).map((weighted) =>
      isRecord(weighted) ? weighted.podAffinityTerm : undefined,
    ),
  ];
  const keys = new Set<string>();
  for (const term of terms) {
    if (!isRecord(term) || typeof term.topologyKey !== 'string') continue;
    if (selectorMatches(readLabelSelector(term.labelSelector), podLabels))
      keys.add(term.topologyKey);
  }
  return keys;
}
