/**
 * A PodDisruptionBudget's verdict on an eviction, as the eviction API gives it (policy/v1): the
 * budget's desired healthy pods from `minAvailable` or `maxUnavailable` (percentages of the
 * expected pods, rounded up), and an eviction allowed while more pods are healthy than that.
 */
import { resolveIntOrPercent } from './int-or-percent.js';
import type { DisruptionBudget } from './workload-spec.js';

/** What the eviction API answers. */
export type EvictionVerdict =
  | { allowed: true }
  /** 429 TooManyRequests: `kubectl drain` retries. */
  | { allowed: false; reason: string };

/**
 * Whether `budget` lets one pod go, with `healthyPods` Ready pods of `expectedPods` (the
 * controller's scale). An unhealthy pod may always go while the budget is met
 * (`unhealthyPodEvictionPolicy: IfHealthyBudget`, the default).
 */
export function evictionVerdict(
  budget: DisruptionBudget,
  expectedPods: number,
  healthyPods: number,
  podIsHealthy: boolean,
): EvictionVerdict {
  const desiredHealthy =
    budget.minAvailable !== undefined
      ? resolved(resolveIntOrPercent(budget.minAvailable, expectedPods, true, 'minAvailable'))
      : expectedPods -
        resolved(
          resolveIntOrPercent(budget.maxUnavailable ?? 0, expectedPods, true, 'maxUnavailable'),
        );
  const allowedDisruptions = healthyPods - desiredHealthy;
  if (podIsHealthy ? allowedDisruptions >= 1 : allowedDisruptions >= 0) return { allowed: true };
  return {
    allowed: false,
    reason:
      `Cannot evict pod as it would violate the pod's disruption budget '${budget.name}': ` +
      `needs ${desiredHealthy} healthy pods and has ${healthyPods}`,
  };
}

// The spec was checked when it was read; a bad quantity here counts as zero.
function resolved(result: ReturnType<typeof resolveIntOrPercent>): number {
  return result.ok ? result.value : 0;
}
