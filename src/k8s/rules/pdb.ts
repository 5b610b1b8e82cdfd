/**
 * Without a PodDisruptionBudget, `kubectl drain` (node upgrades, autoscaler scale-downs) may
 * evict every replica at once; a PDB that allows all of them to go protects nothing.
 */
import { type LintRule, type ReplicaRange, type RuleFinding, replicaRange } from '../lint-rule.js';
import { type PdbView, readLabelSelector, type WorkloadView } from '../workload.js';

/**
 * How many of `replicas` pods `pdb` lets be evicted at once, as the disruption controller counts
 * (pkg/controller/disruption getExpectedPodCount): percentages of `maxUnavailable` and of
 * `minAvailable` both round up. `undefined` when the PDB sets neither.
 */
export function disruptionsAllowed(pdb: PdbView, replicas: number): number | undefined {
  const pods = (value: number | string) =>
    typeof value === 'number' ? value : Math.ceil((Number.parseInt(value, 10) * replicas) / 100);
  if (pdb.maxUnavailable !== undefined) return Math.min(replicas, pods(pdb.maxUnavailable));
  if (pdb.minAvailable !== undefined) return Math.max(0, replicas - pods(pdb.minAvailable));
  return undefined;
}

/** `pdb`: a multi-replica workload with no PDB, or with one that lets every pod go. */
export const pdbRule: LintRule = {
  id: 'pdb',
  severity: 'warning',
  summary:
    'a multi-replica workload has no PodDisruptionBudget, or one that allows every pod to go',
  check(context) {
    const { workload, pdbs } = context;
    const range = replicaRange(context);
    if (range === undefined || range.max < 2) return [];
    if (pdbs.length === 0) return [missingPdb(workload, range)];
    // With an autoscaler, the fewest pods it keeps are the ones a drain must not take at once.
    const replicas = Math.max(range.min, 2);
    // A PDB may select the pods of several workloads: it protects this one if it stops a drain
    // from taking all of this one's pods.
    return pdbs.flatMap((pdb): RuleFinding[] => {
      if ((disruptionsAllowed(pdb, replicas) ?? 0) < replicas) return [];
      return [
        {
          message:
            `PodDisruptionBudget ${pdb.object.name} allows ${replicas === range.min ? 'all ' : ''}${replicas} replicas of ` +
            `${workload.kind} ${workload.name} to be evicted at once: a drain still takes them all. ` +
            'Use `maxUnavailable: 1`.',
          path: ['spec'],
          at: pdb.object.locate(['spec']),
        },
      ];
    });
  },
};

function missingPdb(workload: WorkloadView, replicas: ReplicaRange): RuleFinding {
  const { matchLabels } = readLabelSelector(workload.spec.selector);
  // The workload's own selector is what its controller owns; pod labels when it has none.
  const selector = Object.keys(matchLabels).length > 0 ? matchLabels : workload.podLabels;
  const { namespace } = workload.object;
  // A Deployment's PDB takes its name; other kinds add theirs, so that a StatefulSet `web` and
  // a Deployment `web` do not get two PDBs of one name, the second replacing the first.
  const pdbName =
    workload.kind === 'Deployment'
      ? workload.name
      : `${workload.name}-${workload.kind.toLowerCase()}`;
  return {
    message:
      `${workload.kind} ${workload.name} runs ${replicas.text} but no PodDisruptionBudget ` +
      'selects its pods: a node drain may evict all of them at once. Add a PDB with ' +
      '`maxUnavailable: 1`.',
    path: ['metadata', 'name'],
    fix: {
      description: 'add a PodDisruptionBudget with maxUnavailable 1',
      apply: () =>
        workload.object.appendToFile({
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: pdbName, ...(namespace === undefined ? {} : { namespace }) },
          spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } } },
        }),
    },
  };
}
