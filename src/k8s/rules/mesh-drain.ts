/**
 * A service-mesh sidecar told to drain (Istio `terminationDrainDuration`) or to wait before
 * exiting (Linkerd `proxy-wait-before-exit-seconds`) for longer than the grace period leaves is
 * SIGKILLed mid-drain, together with the connections it still carries.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';
import { defaultGracePeriodSeconds, durationSeconds } from '../shutdown-timing.js';

const istioConfigAnnotation = 'proxy.istio.io/config';
const linkerdWaitAnnotation = 'config.alpha.linkerd.io/proxy-wait-before-exit-seconds';

/** The mesh's shutdown wait in seconds, and where it is set; `undefined` when none is set. */
function meshWait(
  annotations: Readonly<Record<string, string>>,
): { seconds: number; setting: string } | undefined {
  const linkerd = annotations[linkerdWaitAnnotation];
  if (linkerd !== undefined && durationSeconds(linkerd) !== undefined) {
    return { seconds: durationSeconds(linkerd) ?? 0, setting: linkerdWaitAnnotation };
  }
  // The Istio annotation holds ProxyConfig as YAML; the one field needed is read by pattern.
  const istio = /terminationDrainDuration:\s*["']?([\d.]+(?:ms|s|m|h)?)/.exec(
    annotations[istioConfigAnnotation] ?? '',
  );
  const seconds = istio?.[1] === undefined ? undefined : durationSeconds(istio[1]);
  return seconds === undefined
    ? undefined
    : { seconds, setting: `${istioConfigAnnotation} terminationDrainDuration` };
}

export const meshDrainRule: LintRule = {
  id: 'mesh-drain',
  severity: 'warning',
  summary: 'a sidecar drain or exit wait longer than the grace period',
  check({ workload }): RuleFinding[] {
    const wait = meshWait(workload.podAnnotations);
    const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
    if (wait === undefined || wait.seconds < graceSeconds) return [];
    return [
      {
        message:
          `${workload.kind} ${workload.name}: ${wait.setting} is ${wait.seconds} s but ` +
          `terminationGracePeriodSeconds is ${graceSeconds} s: the sidecar is SIGKILLed before its ` +
          'drain ends, and the connections it carries are cut. Keep the wait below the grace period.',
        path: ['spec', 'template', 'metadata', 'annotations'],
      },
    ];
  },
};
