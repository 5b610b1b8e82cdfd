/**
 * lameduck answers `/lameduck/prestop` only from loopback, the node's address (`HOST_IP` from
 * `status.hostIP`) and `LAMEDUCK_PRESTOP_ALLOW`: the kubelet calls httpGet hooks from the node,
 * so without either the hook is refused (403) and lame duck starts only at SIGTERM.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { addContainerFieldEnv } from '../manifest-edit.js';
import { preStopDelay } from '../shutdown-timing.js';

export const prestopHookRefusedRule: LintRule = {
  id: 'prestop-hook-refused',
  severity: 'error',
  summary: 'an httpGet preStop to /lameduck/prestop that lameduck would refuse',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const delay = preStopDelay(container.preStop);
      if (delay.kind !== 'lameduck' || delay.how !== 'httpGet') return [];
      const hostIp = container.envFieldRefs.get('HOST_IP') === 'status.hostIP';
      if (hostIp || container.env.has('LAMEDUCK_PRESTOP_ALLOW')) return [];
      return [
        {
          message:
            `container '${container.name}': the kubelet calls /lameduck/prestop from the node, which ` +
            'lameduck refuses (403) unless it knows the node: the hook fails and lame duck starts ' +
            'only at SIGTERM. Set HOST_IP from the downward API `status.hostIP` (or list the ' +
            'address in LAMEDUCK_PRESTOP_ALLOW).',
          path: [...container.path, 'lifecycle', 'preStop'],
          fix: {
            description: 'add HOST_IP from status.hostIP',
            apply: () =>
              addContainerFieldEnv(workload.object, container, 'HOST_IP', 'status.hostIP'),
          },
        },
      ];
    });
  },
};
