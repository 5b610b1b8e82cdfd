/**
 * A service-mesh sidecar's shutdown must fit the pod's. Two cases, each as the mesh documents it:
 * - too long: istio-agent drains Envoy for `terminationDrainDuration` (default 5 s) and only then
 *   kills it (Istio ProxyConfig reference); Linkerd's `proxy-wait-before-exit-seconds` must not
 *   exceed `terminationGracePeriodSeconds` (Linkerd proxy configuration reference). Past the
 *   grace period the kubelet SIGKILLs the sidecar mid-drain, with the connections it carries.
 * - too short: a classic (not native) sidecar gets SIGTERM at t=0 while the app's preStop hook
 *   still holds the app's. Envoy is killed when its drain ends; Linkerd's proxy refuses new
 *   requests once its wait is over, and Linkerd's graceful-shutdown docs ask for an app preStop
 *   sleep shorter than that wait. The requests the hook waits for then fail. A native sidecar
 *   is stopped after the app containers (KEP-753): no race.
 */
import { lifecycleDefaults, parseLifecycleEnvNumber } from '../../lifecycle/lifecycle-options.js';
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { istioNativeAnnotation, linkerdNativeAnnotations, readMeshProxy } from '../mesh-proxy.js';
import { defaultGracePeriodSeconds, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView } from '../workload.js';

/** lameduck's default shortest lame-duck wait: its preStop hook lasts at least this. */
const lameduckMinLameDuckMs = lifecycleDefaults.minLameDuckMs;

/** Reports a sidecar drain or exit wait that SIGKILL cuts, or that ends before the app's hook. */
export const meshDrainRule: LintRule = {
  id: 'mesh-drain',
  severity: 'warning',
  summary: 'a sidecar drain or exit wait longer than the grace period, or shorter than the preStop',
  check({ workload, settings }): RuleFinding[] {
    const proxy = readMeshProxy(workload, settings.k8sVersion);
    if (proxy === undefined) return [];
    const { mesh, waitSeconds } = proxy;
    const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
    const wait = `${proxy.setting ?? `${mesh}’s default wait`} (${waitSeconds} s)`;
    const findings: RuleFinding[] = [];
    // Istio kills Envoy when its drain ends: a drain that reaches the grace period never ends.
    const tooLong = mesh === 'Istio' ? waitSeconds >= graceSeconds : waitSeconds > graceSeconds;
    if (proxy.setting !== undefined && tooLong) {
      const why =
        mesh === 'Istio'
          ? 'istio-agent kills Envoy only when the drain ends (Istio ProxyConfig docs), so'
          : 'Linkerd’s docs keep the wait within the grace period:';
      findings.push({
        message:
          `${mesh}: ${wait} does not fit terminationGracePeriodSeconds (${graceSeconds} s): ` +
          `${why} the kubelet SIGKILLs the sidecar mid-drain, cutting the connections it still ` +
          'carries. Shorten it, or raise the grace period.',
        path: [...workload.podSpecPath.slice(0, -1), 'metadata', 'annotations', proxy.annotation],
      });
    }
    if (proxy.native) return findings;
    for (const container of appContainers(workload)) {
      const holdSeconds = preStopHoldSeconds(container);
      if (holdSeconds === undefined || holdSeconds <= 0 || waitSeconds > holdSeconds) continue;
      const after =
        mesh === 'Istio'
          ? 'istio-agent kills Envoy when its terminationDrainDuration ends (Istio ProxyConfig docs)'
          : 'the proxy refuses new requests once its wait is over (Linkerd graceful-shutdown docs)';
      const nativeAnnotation =
        mesh === 'Istio' ? istioNativeAnnotation : linkerdNativeAnnotations[0];
      findings.push({
        message:
          `${mesh}’s sidecar gets SIGTERM at once, but the preStop hook of container ` +
          `'${container.name}' holds the app’s for ${holdSeconds} s or more, and ${after}: after ` +
          `${wait} the requests the hook waits for fail. Make the ${mesh} wait longer than the ` +
          `hook and within the grace period, or run the proxy as a native sidecar ` +
          `(${nativeAnnotation}: "true"), which Kubernetes stops after the app.`,
        path: [...container.path, 'lifecycle', 'preStop'],
      });
    }
    return findings;
  },
};

/** How long the container's preStop hook holds SIGTERM at least; `undefined` when unknown. */
function preStopHoldSeconds(container: ContainerView): number | undefined {
  const delay = preStopDelay(container.preStop);
  if (delay.kind === 'fixed') return delay.seconds;
  if (delay.kind !== 'lameduck') return undefined;
  // As lameduck reads it: blank is unset; a value it refuses (it would not start) is not this
  // rule's to report, the default stands in.
  const text = container.env.get('LAMEDUCK_MIN_LAME_DUCK_MS') ?? '';
  const minMs =
    text.trim() === '' ? undefined : parseLifecycleEnvNumber('LAMEDUCK_MIN_LAME_DUCK_MS', text);
  return (minMs?.ok ? minMs.value : lameduckMinLameDuckMs) / 1000;
}
