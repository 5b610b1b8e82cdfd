/**
 * Which service-mesh proxy a pod template gets, read from its labels and annotations, and how
 * long after SIGTERM the proxy still passes new requests to the app. Istio has no per-pod drain
 * annotation of its own: the drain is `terminationDrainDuration` in `proxy.istio.io/config`.
 */
import { parseDocument } from 'yaml';
import { isRecord } from './manifest-loader.js';
import { durationSeconds, k8sAtLeast } from './shutdown-timing.js';
import type { WorkloadView } from './workload.js';

const istioConfig = 'proxy.istio.io/config';
const istioInject = 'sidecar.istio.io/inject';
/** Istio's per-pod switch for a native sidecar. */
export const istioNativeAnnotation = 'sidecar.istio.io/nativeSidecar';
const linkerdWait = 'config.alpha.linkerd.io/proxy-wait-before-exit-seconds';
const linkerdInject = 'linkerd.io/inject';
/** Linkerd's per-pod switches for a native sidecar (beta, then the older alpha name). */
export const linkerdNativeAnnotations = [
  'config.beta.linkerd.io/proxy-enable-native-sidecar',
  'config.alpha.linkerd.io/proxy-enable-native-sidecar',
] as const;
/** Istio's default `terminationDrainDuration`; Linkerd's default wait is 0. */
const istioDefaultDrainSeconds = 5;

/** A mesh proxy in the pod. */
export interface MeshProxy {
  mesh: 'Istio' | 'Linkerd';
  /** Istio: the drain after which Envoy is killed; Linkerd: the wait before it refuses requests. */
  waitSeconds: number;
  /** What sets the wait (`proxy.istio.io/config terminationDrainDuration`); `undefined`: default. */
  setting: string | undefined;
  /** The pod template annotation that holds the setting. */
  annotation: string;
  /** A native sidecar: Kubernetes stops it after the app containers (KEP-753). */
  native: boolean;
}

/**
 * The mesh proxy of `workload`'s pods, or `undefined` when the manifest shows none. A mesh
 * injected by a namespace label alone is not visible here.
 */
export function readMeshProxy(
  workload: WorkloadView,
  k8sVersion: readonly [number, number],
): MeshProxy | undefined {
  const annotations = workload.podAnnotations;
  const flag = (key: string) => annotations[key] ?? workload.podLabels[key];
  const linkerdInjected = ['enabled', 'ingress'].includes(flag(linkerdInject) ?? '');
  if (annotations[linkerdWait] !== undefined || linkerdInjected) {
    const seconds = durationSeconds(annotations[linkerdWait] ?? '0');
    if (seconds === undefined) return undefined;
    return {
      mesh: 'Linkerd',
      waitSeconds: seconds,
      setting: annotations[linkerdWait] === undefined ? undefined : linkerdWait,
      annotation: linkerdWait,
      native: linkerdNativeAnnotations.some((key) => annotations[key] === 'true'),
    };
  }
  if (flag(istioInject) === 'false') return undefined;
  if (annotations[istioConfig] === undefined && flag(istioInject) !== 'true') return undefined;
  const drainSeconds = istioDrainSeconds(annotations[istioConfig] ?? '');
  const nativeSetting = annotations[istioNativeAnnotation];
  return {
    mesh: 'Istio',
    waitSeconds: drainSeconds ?? istioDefaultDrainSeconds,
    setting: drainSeconds === undefined ? undefined : `${istioConfig} terminationDrainDuration`,
    annotation: istioConfig,
    // Istio 1.27+ injects native sidecars by default once every node runs Kubernetes 1.33+;
    // an older Istio on such a cluster is taken for native too (a missed finding, not a false one).
    native: nativeSetting === 'true' || (nativeSetting !== 'false' && k8sAtLeast(k8sVersion, 33)),
  };
}

/** `terminationDrainDuration` of a ProxyConfig in YAML or JSON, in seconds; `undefined` if unset. */
function istioDrainSeconds(proxyConfig: string): number | undefined {
  const document = parseDocument(proxyConfig);
  if (document.errors.length > 0) return undefined;
  const config: unknown = document.toJS({ maxAliasCount: 10 });
  const drain = isRecord(config) ? config.terminationDrainDuration : undefined;
  return typeof drain === 'string' ? durationSeconds(drain) : undefined;
}
