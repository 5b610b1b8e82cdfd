/**
 * Distroless and scratch images have no shell and no `sleep`: a preStop `exec` of either fails
 * at once, and the kubelet goes straight on to SIGTERM, so the delay the hook was for never
 * happens. The image is judged by its name, which is all a manifest says of it.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { programName, shellScript } from '../shutdown-timing.js';

/** Image names that ship no shell or coreutils. */
const barePattern =
  /(^|\/)(distroless|scratch)([/:@-]|$)|gcr\.io\/distroless\/|^cgr\.dev\/chainguard\/static\b/;

export const prestopExecMissingBinaryRule: LintRule = {
  id: 'prestop-exec-missing-binary',
  severity: 'error',
  summary: 'a preStop exec of sh or sleep in an image that has neither',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const hook = container.preStop;
      if (hook?.kind !== 'exec' || !barePattern.test(container.image)) return [];
      const program = programName(hook.command[0]);
      if (program !== 'sleep' && shellScript(hook.command) === undefined) return [];
      return [
        {
          message:
            `container '${container.name}': image ${container.image} has no ${program}, so the ` +
            'preStop exec fails at once and SIGTERM comes without the delay. Use the native ' +
            '`sleep` action (Kubernetes 1.30+) or lameduck’s httpGet hook.',
          path: [...container.path, 'lifecycle', 'preStop'],
        },
      ];
    });
  },
};
