/**
 * A container behind a Service with no preStop hook gets SIGTERM at the same moment its
 * endpoint starts to be removed: callers that have not heard yet (kube-proxy syncs up to 1 s
 * later, ingresses about 1 s, etcd registries as fast as their watchers) send to a process that
 * is already stopping.
 */
import { portReference } from '../container-ports.js';
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setContainerFieldEnv, setInObject } from '../manifest-edit.js';
import { hasSleepAction, lameduckAdminPort, lameduckPrestopPath } from '../shutdown-timing.js';
import { acceptsKubeletCall } from './prestop-hook-refused.js';
import { isLameduckContainer } from './readiness-probe.js';

/** The fixed delay the fix adds for apps that are not lameduck services. */
const fixSleepSeconds = 5;

/** Reports an app container behind a Service with no preStop; the fix adds one. */
export const prestopMissingRule: LintRule = {
  id: 'prestop-missing',
  severity: 'error',
  summary: 'a container behind a Service has no preStop hook to let its endpoint go first',
  check({ workload, services, settings }) {
    if (services.length === 0) return [];
    const serviceNames = services.map((service) => service.object.name).join(', ');
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      if (container.preStop !== undefined) return [];
      const hookPath = [...container.path, 'lifecycle', 'preStop'];
      const lameduck = isLameduckContainer(container);
      const port = portReference(container, lameduckAdminPort(container));
      const nativeSleep = hasSleepAction(settings.k8sVersion);
      const hook = lameduck
        ? { httpGet: { path: lameduckPrestopPath, port } }
        : nativeSleep
          ? { sleep: { seconds: fixSleepSeconds } }
          : { exec: { command: ['sleep', String(fixSleepSeconds)] } };
      // lameduck refuses the kubelet's call unless it knows the node's address.
      const addHostIp = lameduck && acceptsKubeletCall(container) !== true;
      const sleepHook = nativeSleep ? 'sleep: {seconds: 5}' : 'exec: [sleep, 5]';
      const advice = lameduck
        ? `Add lameduck’s hook \`httpGet: {path: ${lameduckPrestopPath}, port: ${port}}\`: it ` +
          'returns once traffic has stopped arriving.'
        : `Add a preStop that waits a few seconds (\`${sleepHook}\`) so that callers move away ` +
          'before SIGTERM.';
      const description = lameduck
        ? `add the httpGet preStop to ${lameduckPrestopPath}` +
          (addHostIp ? ' and HOST_IP from status.hostIP' : '')
        : `add a ${fixSleepSeconds} s preStop sleep`;
      return [
        {
          message:
            `container '${container.name}' is behind Service ${serviceNames} but has no preStop ` +
            'hook: SIGTERM arrives while kube-proxy, ingresses and registries still route to the ' +
            'pod (they take a second or more to hear of its removal), so those requests fail. ' +
            advice,
          path: container.path,
          fix: {
            description,
            apply: () => {
              setInObject(workload.object, hookPath, hook);
              if (addHostIp) {
                setContainerFieldEnv(workload.object, container, 'HOST_IP', 'status.hostIP');
              }
            },
          },
        },
      ];
    });
  },
};
