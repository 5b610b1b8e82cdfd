/**
 * Replicas with nothing spreading them across nodes may all land on one node, and that node's
 * reboot or hardware fault takes the whole service: the incident's first failure.
 */

import type { LintRule } from '../lint-rule.js';
import { appendInObject } from '../manifest-edit.js';
import { isRecord } from '../manifest-loader.js';

const hostnameKey = 'kubernetes.io/hostname';

export const topologySpreadRule: LintRule = {
  id: 'topology-spread',
  severity: 'warning',
  summary: 'multi-replica pods are not spread across nodes',
  check({ workload }) {
    const { replicas, podSpec } = workload;
    if (replicas === undefined || replicas < 2) return [];
    if (spreadsByHostname(podSpec)) return [];
    return [
      {
        message:
          `${workload.kind} ${workload.name} runs ${replicas} replicas with no topologySpreadConstraints ` +
          `or pod anti-affinity on ${hostnameKey}: they may share a node, and one node's reboot or ` +
          'crash takes them all. Spread them across nodes.',
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
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { ...workload.podLabels } },
              },
            ),
        },
      },
    ];
  },
};

function spreadsByHostname(podSpec: Readonly<Record<string, unknown>>): boolean {
  const constraints = Array.isArray(podSpec.topologySpreadConstraints)
    ? podSpec.topologySpreadConstraints
    : [];
  if (constraints.some((c) => isRecord(c) && c.topologyKey === hostnameKey)) return true;
  const antiAffinity = isRecord(podSpec.affinity) ? podSpec.affinity.podAntiAffinity : undefined;
  if (!isRecord(antiAffinity)) return false;
  const required = antiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const preferred = antiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
  const terms = [
    ...(Array.isArray(required) ? required : []),
    ...(Array.isArray(preferred)
      ? preferred.map((p) => (isRecord(p) ? p.podAffinityTerm : undefined))
      : []),
  ];
  return terms.some((term) => isRecord(term) && term.topologyKey === hostnameKey);
}
