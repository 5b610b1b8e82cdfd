/**
 * Without a PodDisruptionBudget, `kubectl drain` (node upgrades, autoscaler scale-downs) may
 * evict every replica at once; a PDB that allows all of them to go protects nothing.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';
import { readLabelSelector } from '../workload.js';

export const pdbRule: LintRule = {
  id: 'pdb',
  severity: 'warning',
  summary:
    'a multi-replica workload has no PodDisruptionBudget, or one that allows every pod to go',
  check({ workload, pdbs }) {
    const { replicas } = workload;
    if (replicas === undefined || replicas < 2) return [];
    if (pdbs.length === 0) {
      const matchLabels = readLabelSelector(
        (workload.object.value.spec as Record<string, unknown> | undefined)?.selector,
      ).matchLabels;
      const selector = Object.keys(matchLabels).length > 0 ? matchLabels : workload.podLabels;
      return [
        {
          message:
            `${workload.kind} ${workload.name} runs ${replicas} replicas but no PodDisruptionBudget ` +
            'selects its pods: a node drain may evict all of them at once. Add a PDB with ' +
            '`maxUnavailable: 1`.',
          path: ['metadata', 'name'],
          fix: {
            description: 'add a PodDisruptionBudget with maxUnavailable 1',
            apply: () =>
              workload.object.appendToFile({
                apiVersion: 'policy/v1',
                kind: 'PodDisruptionBudget',
                metadata: {
                  name: workload.name,
                  ...(workload.object.namespace === undefined
                    ? {}
                    : { namespace: workload.object.namespace }),
                },
                spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
              }),
          },
        },
      ];
    }
    return pdbs.flatMap((pdb): RuleFinding[] => {
      const allowsAll =
        pdb.maxUnavailable === '100%' ||
        (typeof pdb.maxUnavailable === 'number' && pdb.maxUnavailable >= replicas) ||
        pdb.minAvailable === 0 ||
        pdb.minAvailable === '0%';
      if (!allowsAll) return [];
      return [
        {
          message:
            `PodDisruptionBudget ${pdb.object.name} allows all ${replicas} replicas of ` +
            `${workload.kind} ${workload.name} to be evicted at once: a drain still takes them all. ` +
            'Use `maxUnavailable: 1`.',
          path: ['spec'],
          at: pdb.object.locate(['spec']),
        },
      ];
    });
  },
};
