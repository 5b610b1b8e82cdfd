/**
 * lameduck answers `/lameduck/prestop` only from loopback, the node's address (`HOST_IP`, from
 * the downward API `status.hostIP`) and `LAMEDUCK_PRESTOP_ALLOW`: the kubelet calls httpGet hooks
 * from the node, so without either the hook is refused (403), the kubelet goes on to SIGTERM,
 * and lame duck starts only then, while callers still route to the pod.
 */

import { envValue } from '../container-env.js';
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setContainerFieldEnv } from '../manifest-edit.js';
import { preStopDelay } from '../shutdown-timing.js';
import type { ContainerView } from '../workload.js';
import { hookSentElsewhere } from './prestop-hook-port.js';

/** Reports lameduck's httpGet preStop where lameduck would refuse it; the fix adds `HOST_IP`. */
export const prestopHookRefusedRule: LintRule = {
  id: 'prestop-hook-refused',
  severity: 'error',
  summary: 'an httpGet preStop to /lameduck/prestop that lameduck would refuse',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const delay = preStopDelay(container.preStop);
      if (delay.kind !== 'lameduck' || delay.how !== 'httpGet') return [];
      // A hook sent to another host never reaches lameduck: prestop-hook-port says so.
      if (hookSentElsewhere(workload, container)) return [];
      const accepted = acceptsKubeletCall(container);
      if (accepted === true) return [];
      const hostIpField = container.envFieldRefs.get('HOST_IP');
      const hostIpIndex = container.envIndexes.get('HOST_IP');
      const setting = hostIpField === undefined ? 'a fixed value' : `from ${hostIpField}`;
      const hostIpProblem =
        hostIpIndex === undefined
          ? 'HOST_IP is not set'
          : `HOST_IP is ${setting}, not the node’s address (status.hostIP)`;
      // An allow-list may sit in a ConfigMap we were not given: say so, without failing the lint.
      const problem =
        accepted === false
          ? hostIpProblem
          : `${hostIpProblem} and LAMEDUCK_PRESTOP_ALLOW is not in the manifests linted (${accepted.maybeFrom}, not among them, may set it)`;
      return [
        {
          message:
            `container '${container.name}': ${problem}, so lameduck refuses (403) the kubelet’s ` +
            'preStop call to /lameduck/prestop, which comes from the node: the hook fails and lame ' +
            'duck starts only at SIGTERM, while callers still route to the pod. Set HOST_IP from ' +
            'the downward API `status.hostIP` (with a bridge CNI, whose address the call comes ' +
            'from, list that address in LAMEDUCK_PRESTOP_ALLOW).',
          path:
            hostIpIndex === undefined
              ? [...container.path, 'lifecycle', 'preStop']
              : [...container.path, 'env', hostIpIndex],
          ...(accepted === false ? {} : { severity: 'warning' as const }),
          fix: {
            description: 'set HOST_IP from status.hostIP',
            apply: () =>
              setContainerFieldEnv(workload.object, container, 'HOST_IP', 'status.hostIP'),
          },
        },
      ];
    });
  },
};

/**
 * Whether lameduck in `container` accepts the kubelet's call to `/lameduck/prestop`: `HOST_IP`
 * comes from `status.hostIP`, or `LAMEDUCK_PRESTOP_ALLOW` is set (to a non-empty value, or from
 * a Secret); `maybeFrom` names `envFrom` sources not linted that could set the allow-list.
 */
export function acceptsKubeletCall(container: ContainerView): boolean | { maybeFrom: string } {
  if (container.envFieldRefs.get('HOST_IP') === 'status.hostIP') return true;
  const allow = envValue(container, 'LAMEDUCK_PRESTOP_ALLOW');
  switch (allow.kind) {
    case 'value':
      return allow.value.trim() !== '';
    case 'elsewhere':
      return true;
    case 'unset':
      return allow.maybeFrom.length === 0 ? false : { maybeFrom: allow.maybeFrom.join(', ') };
  }
}
