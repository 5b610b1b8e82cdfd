/**
 * A liveness probe that restarts a container after a short stall: a GC pause, CPU throttling or a
 * burst of load that slows the probe's answer past `timeoutSeconds` a few times in a row gets a
 * busy but healthy container killed with its in-flight requests, and its load moves to the others,
 * which then stall too. Kubernetes' docs warn that liveness probes must indicate unrecoverable
 * failure, as a deadlock does, or they cause cascading failures: restarts under high load and
 * failed client requests (tasks/configure-pod-container/configure-liveness-readiness-startup-probes,
 * kubernetes/website#39930).
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import type { ContainerView, ProbeView, WorkloadView } from '../workload.js';

/** The shortest unresponsive stretch that should cost a restart: longer than a GC pause or a burst. */
export const minimumStallSeconds = 10;

/**
 * The shortest stall that gets a container restarted: the first failing probe times out after
 * `timeoutSeconds`, and `failureThreshold - 1` more follow, one every `periodSeconds`, or every
 * `timeoutSeconds` when that is longer (the kubelet's probe worker waits for each probe).
 */
export function restartAfterStallSeconds(probe: ProbeView): number {
  const intervalSeconds = Math.max(probe.periodSeconds, probe.timeoutSeconds);
  return (probe.failureThreshold - 1) * intervalSeconds + probe.timeoutSeconds;
}

/** `liveness-hair-trigger`: a liveness probe that restarts a container after a short stall. */
export const livenessHairTriggerRule: LintRule = {
  id: 'liveness-hair-trigger',
  severity: 'warning',
  summary: 'a liveness probe restarts the container after a stall of a few seconds',
  check({ workload }) {
    // Sidecars too: a restarted proxy drops the requests that pass through it.
    return workload.containers.flatMap((container) => checkContainer(workload, container));
  },
};

function checkContainer(workload: WorkloadView, container: ContainerView): RuleFinding[] {
  const probe = container.livenessProbe;
  if (probe === undefined) return [];
  const stallSeconds = restartAfterStallSeconds(probe);
  if (stallSeconds >= minimumStallSeconds) return [];
  // Enough probes that a stall must last minimumStallSeconds; never fewer than the default 3.
  const failureThreshold = Math.max(
    3,
    Math.ceil((minimumStallSeconds - probe.timeoutSeconds) / probe.periodSeconds) + 1,
  );
  const settings =
    `failureThreshold ${probe.failureThreshold}, periodSeconds ${probe.periodSeconds}, ` +
    `timeoutSeconds ${probe.timeoutSeconds}`;
  return [
    {
      message:
        `container '${container.name}': the livenessProbe (${settings}) restarts it after ` +
        `${stallSeconds} s without an answer: a GC pause or a burst of load kills a busy but ` +
        'healthy container with its in-flight requests and moves its load onto the others. ' +
        `Let liveness fail only after at least ${minimumStallSeconds} s (failureThreshold ` +
        `${failureThreshold}); readiness is what takes a slow pod out of rotation.`,
      path: [...container.path, 'livenessProbe', 'failureThreshold'],
      fix: {
        description: `set the livenessProbe's failureThreshold to ${failureThreshold}`,
        apply: () =>
          setInObject(
            workload.object,
            [...container.path, 'livenessProbe', 'failureThreshold'],
            failureThreshold,
          ),
      },
    },
  ];
}
