/**
 * Distroless, scratch and Chainguard images have no shell and no `sleep`: a preStop `exec` of
 * either fails at once, and the kubelet goes straight on to SIGTERM, so the delay the hook was
 * for never happens. The image is judged by its name, which is all a manifest says of it.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import {
  hasSleepAction,
  isOnlySleep,
  isShellProgram,
  preStopDelay,
  programName,
} from '../shutdown-timing.js';

/** Chainguard images that do ship a shell in their default tags. */
const chainguardShellImages = new Set(['wolfi-base', 'busybox', 'bash', 'chainguard-base']);

/**
 * Whether `image`, by its name, ships no shell and no coreutils: distroless (but not its
 * `:debug` tags, which have busybox), `scratch`, and Chainguard images (but not their `-dev`
 * tags, which Chainguard documents as the variants with a shell).
 */
export function isBareImage(image: string): boolean {
  const withoutDigest = image.split('@')[0] ?? '';
  const tagAt = withoutDigest.lastIndexOf(':');
  const hasTag = tagAt > withoutDigest.lastIndexOf('/');
  const repository = hasTag ? withoutDigest.slice(0, tagAt) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(tagAt + 1) : 'latest';
  const name = repository.split('/').pop() ?? '';
  if (/distroless/i.test(repository)) return !tag.includes('debug');
  if (name === 'scratch') return true;
  if (/^cgr\.dev\/|(^|\/)chainguard\//.test(repository)) {
    return !tag.includes('dev') && !chainguardShellImages.has(name);
  }
  return false;
}

/** Reports a preStop exec of `sleep` or a shell in an image that has neither. */
export const prestopExecMissingBinaryRule: LintRule = {
  id: 'prestop-exec-missing-binary',
  severity: 'error',
  summary: 'a preStop exec of sh or sleep in an image that has neither',
  check({ workload, settings }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const hook = container.preStop;
      if (hook?.kind !== 'exec' || !isBareImage(container.image)) return [];
      const program = programName(hook.command[0]);
      if (program !== 'sleep' && !isShellProgram(program)) return [];
      const hookPath = [...container.path, 'lifecycle', 'preStop'];
      const delay = preStopDelay(hook);
      // Only a hook that does nothing but sleep can become the native action without loss.
      const sleepSeconds =
        delay.kind === 'fixed' && isOnlySleep(hook.command) && hasSleepAction(settings.k8sVersion)
          ? Math.ceil(delay.seconds)
          : undefined;
      return [
        {
          message:
            `container '${container.name}': image ${container.image} has no ${program} (judged by ` +
            'its name), so the preStop exec fails at once and SIGTERM comes without the delay: ' +
            'callers still routed to the pod fail. Use the native `sleep` action (Kubernetes ' +
            '1.30+), lameduck’s httpGet hook, or exec a binary the image has.',
          path: hookPath,
          ...(sleepSeconds === undefined
            ? {}
            : {
                fix: {
                  description: `replace the exec with the native sleep action (${sleepSeconds} s)`,
                  apply: () =>
                    setInObject(workload.object, hookPath, { sleep: { seconds: sleepSeconds } }),
                },
              }),
        },
      ];
    });
  },
};
