/**
 * A container behind a Service with no readiness probe is Ready as soon as it starts, so it is
 * sent traffic before it can serve; and when its container is restarted (a liveness failure, not a
 * pod deletion, so the EndpointSlice never marks it terminating) nothing takes it out of rotation
 * before its process is gone.
 */
import { portReference } from '../container-ports.js';
import { appContainers, type LintRule, type ManifestFix } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { appShutdown, lameduckAdminPort, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView, WorkloadView } from '../workload.js';

/** Whether `container` runs a lameduck service (its env or its preStop hook says so). */
export function isLameduckContainer(container: ContainerView): boolean {
  return appShutdown(container, preStopDelay(container.preStop)).kind === 'lameduck';
}

/**
 * The readiness probe of a lameduck service: `/readyz` on the admin port turns 503 the moment lame
 * duck begins; probed every 2 s and believed at the first failure, the pod leaves rotation within
 * about 2 s.
 */
export function lameduckReadinessProbe(container: ContainerView): Record<string, unknown> {
  return {
    httpGet: { path: '/readyz', port: portReference(container, lameduckAdminPort(container)) },
    periodSeconds: 2,
    failureThreshold: 1,
  };
}

/** The fix that gives a lameduck `container` its readiness probe (replacing any it has). */
export function setLameduckReadinessProbe(
  workload: WorkloadView,
  container: ContainerView,
): ManifestFix {
  return {
    description: `add a readinessProbe on /readyz, port ${portReference(container, lameduckAdminPort(container))}`,
    apply: () =>
      setInObject(
        workload.object,
        [...container.path, 'readinessProbe'],
        lameduckReadinessProbe(container),
      ),
  };
}

/** `readiness-probe`: an app container of a workload a Service selects has no readinessProbe. */
export const readinessProbeRule: LintRule = {
  id: 'readiness-probe',
  severity: 'error',
  summary: 'a container behind a Service has no readiness probe',
  check({ workload, services }) {
    if (services.length === 0) return [];
    return appContainers(workload)
      .filter((container) => container.readinessProbe === undefined)
      .map((container) => {
        // Only lameduck's endpoint is known; any other app's probe needs its own endpoint.
        const lameduck = isLameduckContainer(container);
        return {
          message:
            `container '${container.name}' is behind a Service but has no readinessProbe: it gets ` +
            'traffic before it can serve, and when it is restarted nothing takes it out of ' +
            'rotation before it stops. ' +
            (lameduck
              ? 'Probe lameduck’s /readyz on the admin port.'
              : 'Add a readiness probe on an endpoint that answers only when the app can serve.'),
          path: container.path,
          ...(lameduck ? { fix: setLameduckReadinessProbe(workload, container) } : {}),
        };
      });
  },
};
