/**
 * Typed views of the objects the linter (and the drill) reason about: workloads with a pod
 * template, their containers, Services and PodDisruptionBudgets. A view reads the plain data
 * leniently: a field of the wrong type reads as absent, and the rules say what is missing.
 * Every view keeps its object and its path, so findings and fixes know where it is.
 */
import {
  type ContainerEnv,
  type EnvSourceLookup,
  type FieldLookup,
  readContainerEnv,
} from './container-env.js';
import { integer, list, record, stringList, stringMap } from './lenient-data.js';
import { isRecord, type ManifestObject, type ManifestPath } from './manifest-loader.js';

/** Kinds whose pod template is read, and where the template sits. */
const podTemplatePaths: Readonly<Record<string, ManifestPath>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  // Argo Rollouts and similar controllers keep a Deployment-shaped template.
  Rollout: ['spec', 'template'],
};

/** A lifecycle handler (`preStop`), as the kubelet runs it. */
export type LifecycleHandler =
  | { kind: 'exec'; command: readonly string[] }
  | { kind: 'httpGet'; path: string; port: string | number | undefined; host: string | undefined }
  | { kind: 'sleep'; seconds: number }
  | { kind: 'tcpSocket' }
  | { kind: 'unknown' };

/** A probe (readiness, liveness or startup) with Kubernetes' defaults filled in. */
export interface ProbeView {
  /** The handler, for comparisons: readiness identical to liveness. */
  handler: Readonly<Record<string, unknown>>;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
  initialDelaySeconds: number;
}

/** A port a container declares. */
export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly hostPort?: number;
  /** `TCP` (the default), `UDP` or `SCTP`. */
  readonly protocol: string;
}

/** One container of a pod template. */
export interface ContainerView extends ContainerEnv {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[] | undefined;
  /** Its declared `ports`. */
  readonly ports: ReadonlyArray<ContainerPort>;
  readonly preStop: LifecycleHandler | undefined;
  readonly readinessProbe: ProbeView | undefined;
  readonly livenessProbe: ProbeView | undefined;
  readonly startupProbe: ProbeView | undefined;
  /** Whether it is a native sidecar (an init container with `restartPolicy: Always`). */
  readonly sidecar: boolean;
  /** Path of this container in its object (`['spec','template','spec','containers',0]`). */
  readonly path: ManifestPath;
}

/** A workload: an object that runs pods from a template. */
export interface WorkloadView {
  readonly object: ManifestObject;
  readonly kind: string;
  readonly name: string;
  /** The object's `spec` as data (strategy, updateStrategy, selector, …). */
  readonly spec: Readonly<Record<string, unknown>>;
  /** `spec.replicas` (default 1); `undefined` for a DaemonSet (one per node). */
  readonly replicas: number | undefined;
  /** The pod template's labels. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** The pod template's annotations. */
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** The object's own annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** `terminationGracePeriodSeconds`, or `undefined` when unset (Kubernetes uses 30). */
  readonly terminationGracePeriodSeconds: number | undefined;
  readonly containers: readonly ContainerView[];
  /** The named ports its containers declare (a Service's named `targetPort` needs one). */
  readonly namedPorts: ReadonlyArray<{ name: string; protocol: string }>;
  /** The pod spec as data (affinity, topologySpreadConstraints, …). */
  readonly podSpec: Readonly<Record<string, unknown>>;
  /** Path of the pod spec in the object. */
  readonly podSpecPath: ManifestPath;
}

/**
 * A Service with a selector. `headless` is `clusterIP: None`; `trafficPolicyLocal` names the
 * policy that keeps traffic on the node that received it, when one does.
 */
export interface ServiceView {
  readonly object: ManifestObject;
  /** Its `selector` (plain labels, never empty: a Service without one selects no pods). */
  readonly selector: LabelSelector;
  readonly headless: boolean;
  readonly publishNotReadyAddresses: boolean;
  readonly trafficPolicyLocal: 'internalTrafficPolicy' | 'externalTrafficPolicy' | undefined;
  /** Its ports' `targetPort` (absent: the same number as `port`) and protocol, with where. */
  readonly targetPorts: ReadonlyArray<{
    targetPort: unknown;
    protocol: string;
    path: ManifestPath;
  }>;
}

/**
 * What scales a workload: a HorizontalPodAutoscaler, or a KEDA ScaledObject (which drives one).
 * `minReplicas` is the fewest pods that serve (HPA default 1; KEDA's at least 1, as its HPA's).
 */
export interface AutoscalerView {
  readonly object: ManifestObject;
  readonly targetKind: string;
  readonly targetName: string;
  readonly minReplicas: number;
  readonly maxReplicas: number | undefined;
  /** Where its minimum is set (`['spec','minReplicas']`). */
  readonly minReplicasPath: ManifestPath;
}

/** A PodDisruptionBudget. */
export interface PdbView {
  readonly object: ManifestObject;
  readonly selector: LabelSelector;
  readonly minAvailable: number | string | undefined;
  readonly maxUnavailable: number | string | undefined;
}

/**
 * A label selector (`matchLabels` and `matchExpressions`). `present` is false for a null or
 * absent selector, which selects nothing; a present one with no requirements (`{}`) selects
 * every pod (policy/v1 PDBs, affinity and spread terms).
 */
export interface LabelSelector {
  present: boolean;
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: ReadonlyArray<{ key: string; operator: string; values: readonly string[] }>;
}

/** Kubernetes' probe defaults (core/v1 Probe). */
const probeDefaults = {
  periodSeconds: 10,
  failureThreshold: 3,
  timeoutSeconds: 1,
  initialDelaySeconds: 0,
};

/**
 * The workload view of `object`, or `undefined` when its kind has no pod template.
 * `lookupEnvSource` resolves the ConfigMaps and Secrets its env reads, `lookupField` the pod
 * fields its `fieldRef`s read (none, for a linter).
 */
export function readWorkload(
  object: ManifestObject,
  lookupEnvSource: EnvSourceLookup = () => undefined,
  lookupField: FieldLookup = () => undefined,
): WorkloadView | undefined {
  const templatePath = podTemplatePaths[object.kind];
  if (templatePath === undefined) return undefined;
  const spec = record(object.value.spec);
  const template = record(spec.template);
  const templateMetadata = record(template.metadata);
  const podSpec = record(template.spec);
  const podSpecPath = [...templatePath, 'spec'];
  const containers = [
    ...list(podSpec.initContainers).flatMap((value, index) => {
      const container = record(value);
      // Only native sidecars keep running beside the app; plain init containers are over by then.
      if (container.restartPolicy !== 'Always') return [];
      const path = [...podSpecPath, 'initContainers', index];
      return [readContainer(container, path, true, lookupEnvSource, lookupField)];
    }),
    ...list(podSpec.containers).map((value, index) =>
      readContainer(
        record(value),
        [...podSpecPath, 'containers', index],
        false,
        lookupEnvSource,
        lookupField,
      ),
    ),
  ];
  return {
    object,
    kind: object.kind,
    name: object.name,
    spec,
    replicas: object.kind === 'DaemonSet' ? undefined : (integer(spec.replicas) ?? 1),
    podLabels: stringMap(templateMetadata.labels),
    podAnnotations: stringMap(templateMetadata.annotations),
    annotations: stringMap(record(object.value.metadata).annotations),
    terminationGracePeriodSeconds: integer(podSpec.terminationGracePeriodSeconds),
    containers,
    // Plain init containers have finished before the pod serves: only these hold ports.
    namedPorts: containers.flatMap((container) =>
      container.ports.flatMap(({ name, protocol }) =>
        name === undefined ? [] : [{ name, protocol }],
      ),
    ),
    podSpec,
    podSpecPath,
  };
}

/** The Service view of `object`, or `undefined` when it is not a Service with a selector. */
export function readService(object: ManifestObject): ServiceView | undefined {
  if (object.kind !== 'Service') return undefined;
  const spec = record(object.value.spec);
  const matchLabels = stringMap(spec.selector);
  if (Object.keys(matchLabels).length === 0) return undefined;
  const externallyReached = spec.type === 'LoadBalancer' || spec.type === 'NodePort';
  return {
    object,
    selector: { present: true, matchLabels, matchExpressions: [] },
    headless: spec.clusterIP === 'None',
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
    trafficPolicyLocal:
      spec.internalTrafficPolicy === 'Local'
        ? 'internalTrafficPolicy'
        : externallyReached && spec.externalTrafficPolicy === 'Local'
          ? 'externalTrafficPolicy'
          : undefined,
    targetPorts: list(spec.ports).map((value, index) => {
      const port = record(value);
      return {
        targetPort: port.targetPort,
        protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP',
        path: ['spec', 'ports', index, 'targetPort'],
      };
    }),
  };
}

/**
 * The autoscaler view of `object` (a HorizontalPodAutoscaler or a KEDA ScaledObject), or
 * `undefined` when it is neither or names no target.
 */
export function readAutoscaler(object: ManifestObject): AutoscalerView | undefined {
  const spec = record(object.value.spec);
  const target = record(spec.scaleTargetRef);
  if (typeof target.name !== 'string') return undefined;
  if (object.kind === 'HorizontalPodAutoscaler') {
    if (typeof target.kind !== 'string') return undefined;
    return {
      object,
      targetKind: target.kind,
      targetName: target.name,
      minReplicas: integer(spec.minReplicas) ?? 1,
      maxReplicas: integer(spec.maxReplicas),
      minReplicasPath: ['spec', 'minReplicas'],
    };
  }
  if (object.kind === 'ScaledObject') {
    return {
      object,
      targetKind: typeof target.kind === 'string' ? target.kind : 'Deployment',
      targetName: target.name,
      // KEDA gives its HPA max(minReplicaCount, 1): scaled from zero, one pod serves alone.
      minReplicas: Math.max(integer(spec.minReplicaCount) ?? 0, 1),
      maxReplicas: integer(spec.maxReplicaCount) ?? 100,
      minReplicasPath: ['spec', 'minReplicaCount'],
    };
  }
  return undefined;
}

/** The PDB view of `object`, or `undefined` when it is not a PodDisruptionBudget. */
export function readPdb(object: ManifestObject): PdbView | undefined {
  if (object.kind !== 'PodDisruptionBudget') return undefined;
  const spec = record(object.value.spec);
  return {
    object,
    selector: readLabelSelector(spec.selector),
    minAvailable: intOrPercent(spec.minAvailable),
    maxUnavailable: intOrPercent(spec.maxUnavailable),
  };
}

/** Reads a `LabelSelector`; garbage reads as an absent one, which selects nothing. */
export function readLabelSelector(value: unknown): LabelSelector {
  const selector = record(value);
  return {
    present: isRecord(value),
    matchLabels: stringMap(selector.matchLabels),
    matchExpressions: list(selector.matchExpressions).flatMap((entry) => {
      const expression = record(entry);
      if (typeof expression.key !== 'string' || typeof expression.operator !== 'string') return [];
      return [
        {
          key: expression.key,
          operator: expression.operator,
          values: list(expression.values).filter((v): v is string => typeof v === 'string'),
        },
      ];
    }),
  };
}

function readContainer(
  container: Record<string, unknown>,
  path: ManifestPath,
  sidecar: boolean,
  lookupEnvSource: EnvSourceLookup,
  lookupField: FieldLookup,
): ContainerView {
  const lifecycle = record(container.lifecycle);
  return {
    name: typeof container.name === 'string' ? container.name : '',
    image: typeof container.image === 'string' ? container.image : '',
    command: stringList(container.command),
    args: stringList(container.args),
    ...readContainerEnv(container, path, lookupEnvSource, lookupField),
    ports: list(container.ports).flatMap((value): ContainerPort[] => {
      const port = record(value);
      const containerPort = integer(port.containerPort);
      if (containerPort === undefined) return [];
      return [
        {
          containerPort,
          ...(typeof port.name === 'string' ? { name: port.name } : {}),
          ...(integer(port.hostPort) === undefined ? {} : { hostPort: integer(port.hostPort) }),
          protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP',
        },
      ];
    }),
    preStop: lifecycle.preStop === undefined ? undefined : readHandler(record(lifecycle.preStop)),
    readinessProbe: readProbe(container.readinessProbe),
    livenessProbe: readProbe(container.livenessProbe),
    startupProbe: readProbe(container.startupProbe),
    sidecar,
    path,
  };
}

function readHandler(handler: Record<string, unknown>): LifecycleHandler {
  if (handler.exec !== undefined) {
    return { kind: 'exec', command: stringList(record(handler.exec).command) ?? [] };
  }
  if (handler.httpGet !== undefined) {
    const get = record(handler.httpGet);
    const port = get.port;
    return {
      kind: 'httpGet',
      path: typeof get.path === 'string' ? get.path : '/',
      port: typeof port === 'string' || typeof port === 'number' ? port : undefined,
      host: typeof get.host === 'string' ? get.host : undefined,
    };
  }
  if (handler.sleep !== undefined) {
    return { kind: 'sleep', seconds: integer(record(handler.sleep).seconds) ?? 0 };
  }
  if (handler.tcpSocket !== undefined) return { kind: 'tcpSocket' };
  return { kind: 'unknown' };
}

function readProbe(value: unknown): ProbeView | undefined {
  if (!isRecord(value)) return undefined;
  const { periodSeconds, failureThreshold, timeoutSeconds, initialDelaySeconds, ...rest } = value;
  const handler = Object.fromEntries(
    Object.entries(rest).filter(
      ([key]) => !['successThreshold', 'terminationGracePeriodSeconds'].includes(key),
    ),
  );
  return {
    handler,
    periodSeconds: integer(periodSeconds) ?? probeDefaults.periodSeconds,
    failureThreshold: integer(failureThreshold) ?? probeDefaults.failureThreshold,
    timeoutSeconds: integer(timeoutSeconds) ?? probeDefaults.timeoutSeconds,
    initialDelaySeconds: integer(initialDelaySeconds) ?? probeDefaults.initialDelaySeconds,
  };
}

function intOrPercent(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+%$/.test(value)) return value;
  return undefined;
}
