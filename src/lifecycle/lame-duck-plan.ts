/**
 * How long lame duck may wait, decided when it starts. The wait exists for callers that still
 * route to the process: Kubernetes endpoints, or a registry (etcd) whose watchers hear of the
 * departure late. A developer's Ctrl-C outside Kubernetes, with no registry, has no such caller:
 * waiting there only makes the process look hung. Pure.
 */
import { isAdvertiser, type Participant } from './participant.js';
import type { ShutdownTrigger } from './phase.js';

/** The settings the plan reads. */
export interface LameDuckPlanInput {
  trigger: ShutdownTrigger;
  /** Whether the process runs in a Kubernetes pod (see `LifecycleConfig.kubernetes`). */
  kubernetes: boolean;
  minLameDuckMs: number;
  maxLameDuckMs: number;
  quietFloorMs: number;
  /** The participants that started. */
  participants: readonly Participant[];
}

/** The bounds of the wait; `skipped` says why there is none. */
export interface LameDuckPlan {
  minWaitMs: number;
  maxWaitMs: number;
  quietFloorMs: number;
  /** Why the wait is skipped (the drain starts at once), when it is. */
  skipped?: string;
}

/**
 * The configured wait, except for an interactive stop (SIGINT: Ctrl-C) outside Kubernetes when
 * no participant advertises the service elsewhere: then none. In a pod, a SIGINT waits as a
 * SIGTERM does.
 */
export function planLameDuck(input: LameDuckPlanInput): LameDuckPlan {
  const { trigger, kubernetes, minLameDuckMs, maxLameDuckMs, quietFloorMs } = input;
  const waits = { minWaitMs: minLameDuckMs, maxWaitMs: maxLameDuckMs, quietFloorMs };
  if (trigger !== 'SIGINT' || kubernetes || input.participants.some(isAdvertiser)) return waits;
  return {
    minWaitMs: 0,
    maxWaitMs: 0,
    quietFloorMs: 0,
    skipped:
      'SIGINT outside Kubernetes (KUBERNETES_SERVICE_HOST is unset) and no participant ' +
      'advertises the service elsewhere: no caller needs time to hear that it leaves',
  };
}
