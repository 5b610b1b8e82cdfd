/**
 * A rolling update that may take pods down before their replacements are ready, a `Recreate`
 * strategy behind a Service, or a single replica: each means fewer (or no) pods serving while a
 * rollout or a node failure is under way.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { isRecord } from '../manifest-loader.js';

/** Kubernetes' default `maxUnavailable` (25 %, rounded down). */
const defaultMaxUnavailable = '25%';

/** `maxUnavailable` as a number of pods (a percentage rounds down, as the controller does). */
export function unavailablePods(value: unknown, replicas: number): number {
  if (typeof value === 'number') return value;
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  return percent === null ? 0 : Math.floor((Number(percent[1]) * replicas) / 100);
}

export const rollingUpdateCapacityRule: LintRule = {
  id: 'rolling-update-capacity',
  severity: 'warning',
  summary: 'a rollout or a node failure can leave too few pods serving',
  check({ workload, services }) {
    const { replicas } = workload;
    if (replicas === undefined || !['Deployment', 'Rollout', 'StatefulSet'].includes(workload.kind))
      return [];
    if (replicas <= 1 && services.length > 0) {
      return [
        {
          message:
            `${workload.kind} ${workload.name} runs one replica behind a Service: every restart, ` +
            'eviction or node failure is an outage. Run at least 2 (3 across nodes).',
          path: ['spec'],
        },
      ];
    }
    if (workload.kind !== 'Deployment') return [];
    const spec = isRecord(workload.object.value.spec) ? workload.object.value.spec : {};
    const strategy = isRecord(spec.strategy) ? spec.strategy : {};
    const rollingUpdate = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
    const findings: RuleFinding[] = [];
    const safeStrategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    };
    const fix = {
      description: 'roll with maxSurge 1, maxUnavailable 0',
      apply: () => setInObject(workload.object, ['spec', 'strategy'], safeStrategy),
    };
    if (strategy.type === 'Recreate' && services.length > 0) {
      findings.push({
        message:
          `${workload.kind} ${workload.name} uses the Recreate strategy behind a Service: every ` +
          'rollout stops all pods before new ones serve. Use RollingUpdate with maxUnavailable 0.',
        path: ['spec', 'strategy'],
        fix,
      });
    } else if (strategy.type !== 'Recreate') {
      const down = unavailablePods(rollingUpdate.maxUnavailable ?? defaultMaxUnavailable, replicas);
      if (down > 0 && (replicas <= 3 || down * 3 >= replicas)) {
        findings.push({
          message:
            `${workload.kind} ${workload.name}: the rolling update may take ${down} of ${replicas} ` +
            'pods down before their replacements are ready, cutting capacity during every rollout. ' +
            'Set maxUnavailable to 0 and maxSurge to 1.',
          path: ['spec', 'strategy'],
          fix,
        });
      }
    }
    return findings;
  },
};
