/**
 * A `configMapKeyRef` or `secretKeyRef` (not `optional`) to a key that its ConfigMap or Secret,
 * among the manifests, does not have: the kubelet refuses to start the container
 * (CreateContainerConfigError). Every new pod of a rollout is stuck, and with `maxUnavailable`
 * above 0 the old ones are taken away all the same.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';

/** `env-reference-missing`: an env key reference that the linted ConfigMap or Secret lacks. */
export const envReferenceMissingRule: LintRule = {
  id: 'env-reference-missing',
  severity: 'error',
  summary:
    'an env var reads a ConfigMap or Secret key that is not there: the container never starts',
  check({ workload }) {
    return workload.containers.flatMap((container) =>
      container.envMissingKeys.map(
        (missing): RuleFinding => ({
          message:
            `container '${container.name}': ${missing.name} reads key '${missing.key}' of ` +
            `${missing.source}, which has no such key: the kubelet does not start the container ` +
            '(CreateContainerConfigError), so no new pod of this workload becomes Ready. Add the ' +
            'key, fix the name, or mark the reference `optional: true`.',
          path: missing.path,
        }),
      ),
    );
  },
};
