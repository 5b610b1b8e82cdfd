/**
 * A probe of lameduck's `/readyz` or `/livez` must reach lameduck's admin server. Sent to another
 * port (the admin port moved with `LAMEDUCK_ADMIN_PORT` and the probe did not follow), readiness
 * never sees lame duck's 503, or fails outright and the pod never gets traffic; liveness fails and
 * restarts the container.
 */
import { describePort, portReference, resolveContainerPort } from '../container-ports.js';
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setScalarInObject } from '../manifest-edit.js';
import { isRecord } from '../manifest-loader.js';
import { lameduckAdminPortIfKnown } from '../shutdown-timing.js';
import { isLameduckContainer } from './readiness-probe.js';

/** lameduck's admin endpoints that probes use. */
const adminProbePaths = new Set(['/readyz', '/livez']);
const probeKinds = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;

/** `admin-probe-port`: a probe of lameduck's /readyz or /livez aimed at another port. */
export const adminProbePortRule: LintRule = {
  id: 'admin-probe-port',
  severity: 'error',
  summary: 'a probe of lameduck’s /readyz or /livez is sent to a port other than the admin port',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      if (!isLameduckContainer(container)) return [];
      const adminPort = lameduckAdminPortIfKnown(container);
      if (adminPort === undefined) return [];
      return probeKinds.flatMap((kind): RuleFinding[] => {
        const get = container[kind]?.handler.httpGet;
        if (!isRecord(get) || !adminProbePaths.has(String(get.path))) return [];
        const target = resolveContainerPort(container, get.port);
        if (target.port === adminPort) return [];
        const port = portReference(container, adminPort);
        const portPath = [...container.path, kind, 'httpGet', 'port'];
        return [
          {
            message:
              `container '${container.name}': the ${kind} of lameduck’s ${String(get.path)} goes ` +
              `to ${describePort(target)}, but lameduck’s admin server listens on ${adminPort}` +
              ' (LAMEDUCK_ADMIN_PORT): the probe does not see lameduck’s answer (readiness misses ' +
              'lame duck, or fails and the pod gets no traffic; liveness restarts the container). ' +
              `Probe port ${port}.`,
            path: portPath,
            fix: {
              description: `send the ${kind} to port ${port}`,
              apply: () => setScalarInObject(workload.object, portPath, port),
            },
          },
        ];
      });
    });
  },
};
