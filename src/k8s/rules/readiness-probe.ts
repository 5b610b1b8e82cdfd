/**
 * A container behind a Service with no readiness probe is sent traffic before it can serve, and
 * nothing takes it out of rotation early when it stops; readiness identical to liveness turns a
 * slow or shutting-down pod into a restart instead of taking it out of rotation.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { appShutdown, lameduckAdminPort, preStopDelay } from '../shutdown-timing.js';

export const readinessProbeRule: LintRule = {
  id: 'readiness-probe',
  severity: 'error',
  summary: 'a container behind a Service has no readiness probe, or the same one as liveness',
  check({ workload, services }) {
    if (services.length === 0) return [];
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const { readinessProbe, livenessProbe } = container;
      if (readinessProbe === undefined) {
        const lameduck =
          appShutdown(container, preStopDelay(container.preStop)).kind === 'lameduck';
        return [
          {
            message:
              `container '${container.name}' is behind a Service but has no readinessProbe: it gets ` +
              'traffic before it can serve, and nothing takes it out of rotation when it stops. ' +
              (lameduck ? 'Probe lameduck’s /readyz on the admin port.' : 'Add a readiness probe.'),
            path: container.path,
            ...(lameduck
              ? {
                  fix: {
                    description: 'add a readinessProbe on /readyz',
                    apply: () =>
                      setInObject(workload.object, [...container.path, 'readinessProbe'], {
                        httpGet: { path: '/readyz', port: lameduckAdminPort(container) },
                        periodSeconds: 2,
                        failureThreshold: 1,
                      }),
                  },
                }
              : {}),
          },
        ];
      }
      if (
        livenessProbe !== undefined &&
        JSON.stringify(readinessProbe.handler) === JSON.stringify(livenessProbe.handler)
      ) {
        return [
          {
            message:
              `container '${container.name}': readiness and liveness probe the same endpoint, so a ` +
              'pod that is busy or shutting down is restarted instead of taken out of rotation. ' +
              'Probe a liveness endpoint that stays OK while draining (lameduck: /livez).',
            path: [...container.path, 'livenessProbe'],
          },
        ];
      }
      return [];
    });
  },
};
