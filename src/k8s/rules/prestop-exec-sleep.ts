/**
 * A preStop `exec` that runs `sleep` needs a `sleep` binary (and often a shell) in the image;
 * since Kubernetes 1.30 (beta, GA in 1.34) the kubelet sleeps itself with the `sleep` action.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import { k8sAtLeast, preStopDelay } from '../shutdown-timing.js';

export const prestopExecSleepRule: LintRule = {
  id: 'prestop-exec-sleep',
  severity: 'warning',
  summary: 'a preStop exec runs sleep where the native sleep action exists',
  check({ workload, settings }) {
    if (!k8sAtLeast(settings.k8sVersion, 30)) return [];
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const delay = preStopDelay(container.preStop);
      if (delay.kind !== 'fixed' || delay.how === 'sleep-action') return [];
      const seconds = Math.ceil(delay.seconds);
      const how = delay.how === 'shell-sleep' ? 'a shell running sleep' : 'the sleep binary';
      return [
        {
          message:
            `container '${container.name}': the preStop hook execs ${how}, which the image must ` +
            'contain (distroless and scratch images do not: the hook fails and SIGTERM comes at ' +
            `once). Use the native action \`sleep: {seconds: ${seconds}}\` (Kubernetes 1.30+).`,
          path: [...container.path, 'lifecycle', 'preStop'],
          fix: {
            description: `replace the exec with the native sleep action (${seconds} s)`,
            apply: () =>
              setInObject(workload.object, [...container.path, 'lifecycle', 'preStop'], {
                sleep: { seconds },
              }),
          },
        },
      ];
    });
  },
};
