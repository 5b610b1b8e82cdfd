/**
 * A container behind a Service with no preStop hook gets SIGTERM at the same moment its
 * endpoint starts to be removed: callers that have not heard yet (kube-proxy syncs up to 1 s
 * later, ingresses and etcd watchers lag too) send to a process that is already stopping.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import {
  appShutdown,
  k8sAtLeast,
  lameduckAdminPort,
  lameduckPrestopPath,
  preStopDelay,
} from '../shutdown-timing.js';

/** The fixed delay the fix adds for apps that are not lameduck services. */
const fixSleepSeconds = 5;

export const prestopMissingRule: LintRule = {
  id: 'prestop-missing',
  severity: 'error',
  summary: 'a container behind a Service has no preStop hook to let its endpoint go first',
  check({ workload, services, settings }) {
    if (services.length === 0) return [];
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      if (container.preStop !== undefined) return [];
      const lameduck = appShutdown(container, preStopDelay(undefined)).kind === 'lameduck';
      const hook = lameduck
        ? { httpGet: { path: lameduckPrestopPath, port: lameduckAdminPort(container) } }
        : k8sAtLeast(settings.k8sVersion, 30)
          ? { sleep: { seconds: fixSleepSeconds } }
          : { exec: { command: ['sleep', String(fixSleepSeconds)] } };
      return [
        {
          message:
            `container '${container.name}' is behind Service ${services.map((s) => s.object.name).join(', ')} ` +
            'but has no preStop hook: SIGTERM arrives while callers still route to the pod, and ' +
            'requests fail. Add lameduck’s httpGet preStop to /lameduck/prestop (it returns when ' +
            'traffic is quiet), or a sleep of a few seconds.',
          path: container.path,
          fix: {
            description: lameduck
              ? 'add the httpGet preStop to /lameduck/prestop'
              : `add a ${fixSleepSeconds} s preStop sleep`,
            apply: () =>
              setInObject(workload.object, [...container.path, 'lifecycle', 'preStop'], hook),
          },
        },
      ];
    });
  },
};
