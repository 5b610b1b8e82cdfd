/**
 * Typed views of the objects the linter (and the drill) reason about: workloads with a pod
 * template, their containers, Services and PodDisruptionBudgets. A view reads the plain data
 * leniently: a field of the wrong type reads as absent, and the rules say what is missing.
 * Every view keeps its object and its path, so findings and fixes know where it is.
 */
import {
  isRecord,
  type ManifestObject,
  type ManifestPath,
  type SourceLocation,
} from './manifest-loader.js';

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
}

/** One container of a pod template. */
export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[] | undefined;
  /**
   * Env values the manifests tell: literal `value`s, and keys of ConfigMaps and Secrets (through
   * `envFrom` or `valueFrom`) found among the manifests, with Kubernetes' precedence.
   */
  readonly env: ReadonlyMap<string, string>;
  /**
   * Env names that are set but whose value the manifests do not tell, with where it comes from:
   * `fieldRef status.hostIP`, `ConfigMap app-env`.
   */
  readonly envSetElsewhere: ReadonlyMap<string, string>;
  /** Env names in `env` whose value comes from a ConfigMap or Secret, with where it is set. */
  readonly envValueSources: ReadonlyMap<string, EnvOrigin>;
  /**
   * `envFrom` sources not among the manifests (`ConfigMap app-env`): any name not in `env` may
   * still be set by them.
   */
  readonly envFromUnresolved: readonly string[];
  /** Where each env name sits in the `env` list (for findings that point at it). */
  readonly envIndexes: ReadonlyMap<string, number>;
  /** Env names set from a field ref, with the field (`HOST_IP` → `status.hostIP`). */
  readonly envFieldRefs: ReadonlyMap<string, string>;
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
  /** The names of the ports its containers declare (a Service's named `targetPort` needs one). */
  readonly portNames: ReadonlySet<string>;
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
  readonly selector: Readonly<Record<string, string>>;
  readonly headless: boolean;
  readonly publishNotReadyAddresses: boolean;
  readonly trafficPolicyLocal: 'internalTrafficPolicy' | 'externalTrafficPolicy' | undefined;
  /** Its ports' `targetPort`s given by name, with where each sits. */
  readonly namedTargetPorts: ReadonlyArray<{ name: string; path: ManifestPath }>;
}

/**
 * What scales a workload: a HorizontalPodAutoscaler, or a KEDA ScaledObject (which drives one).
 * `minReplicas` is the fewest pods it keeps (HPA default 1, KEDA 0).
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

/** A label selector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: ReadonlyArray<{ key: string; operator: string; values: readonly string[] }>;
}

/**
 * The data of the ConfigMap or Secret `name` (in the workload's namespace), as env values, or
 * `undefined` when it is not among the manifests.
 */
export type EnvSourceLookup = (kind: 'ConfigMap' | 'Secret', name: string) => EnvSource | undefined;

/** A ConfigMap or Secret among the manifests, as env values. */
export interface EnvSource {
  readonly object: ManifestObject;
  /** Its keys and values (a Secret's decoded). */
  readonly data: Readonly<Record<string, string>>;
}

/** Where an env value is set outside the container: `ConfigMap app-env`, at its key. */
export interface EnvOrigin {
  /** `ConfigMap app-env`, `Secret db`. */
  readonly source: string;
  readonly location: SourceLocation;
}

/** What the manifests say about one env variable of a container. */
export type EnvValue =
  /** Its value; `origin` is the ConfigMap or Secret key it comes from, if it does. */
  | { kind: 'value'; value: string; origin?: EnvOrigin }
  /** Set, to a value the manifests do not tell (a Secret not linted, the node's address). */
  | { kind: 'elsewhere'; from: string }
  /** Not set by the manifests; `maybeFrom` names `envFrom` sources that could set it. */
  | { kind: 'unset'; maybeFrom: readonly string[] };

/** What the manifests say about env variable `name` of `container`. */
export function envValue(container: ContainerView, name: string): EnvValue {
  const value = container.env.get(name);
  const origin = container.envValueSources.get(name);
  if (value !== undefined) {
    return origin === undefined ? { kind: 'value', value } : { kind: 'value', value, origin };
  }
  const from = container.envSetElsewhere.get(name);
  if (from !== undefined) return { kind: 'elsewhere', from };
  return { kind: 'unset', maybeFrom: container.envFromUnresolved };
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
 * `lookupEnvSource` resolves the ConfigMaps and Secrets its env reads.
 */
export function readWorkload(
  object: ManifestObject,
  lookupEnvSource: EnvSourceLookup = () => undefined,
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
      return [readContainer(container, path, true, lookupEnvSource)];
    }),
    ...list(podSpec.containers).map((value, index) =>
      readContainer(record(value), [...podSpecPath, 'containers', index], false, lookupEnvSource),
    ),
  ];
  return {
    object,
    kind: object.kind,
    name: object.name,
    replicas: object.kind === 'DaemonSet' ? undefined : (integer(spec.replicas) ?? 1),
    podLabels: stringMap(templateMetadata.labels),
    podAnnotations: stringMap(templateMetadata.annotations),
    annotations: stringMap(record(object.value.metadata).annotations),
    terminationGracePeriodSeconds: integer(podSpec.terminationGracePeriodSeconds),
    containers,
    // Plain init containers have finished before the pod serves: only these hold ports.
    portNames: new Set(
      containers.flatMap((container) => container.ports.flatMap((port) => port.name ?? [])),
    ),
    podSpec,
    podSpecPath,
  };
}

/** The Service view of `object`, or `undefined` when it is not a Service with a selector. */
export function readService(object: ManifestObject): ServiceView | undefined {
  if (object.kind !== 'Service') return undefined;
  const spec = record(object.value.spec);
  const selector = stringMap(spec.selector);
  if (Object.keys(selector).length === 0) return undefined;
  const externallyReached = spec.type === 'LoadBalancer' || spec.type === 'NodePort';
  return {
    object,
    selector,
    headless: spec.clusterIP === 'None',
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
    trafficPolicyLocal:
      spec.internalTrafficPolicy === 'Local'
        ? 'internalTrafficPolicy'
        : externallyReached && spec.externalTrafficPolicy === 'Local'
          ? 'externalTrafficPolicy'
          : undefined,
    namedTargetPorts: list(spec.ports).flatMap((port, index) => {
      const { targetPort } = record(port);
      return typeof targetPort === 'string' && !/^\d+$/.test(targetPort)
        ? [{ name: targetPort, path: ['spec', 'ports', index, 'targetPort'] }]
        : [];
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
      minReplicas: integer(spec.minReplicaCount) ?? 0,
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

/**
 * The env values a ConfigMap or Secret gives through `envFrom` (`data`; a Secret's `data` is
 * base64 and its `stringData` wins), or `undefined` when `object` is neither.
 */
export function readEnvSourceData(object: ManifestObject): Record<string, string> | undefined {
  if (object.kind === 'ConfigMap') return stringMap(object.value.data);
  if (object.kind !== 'Secret') return undefined;
  const decoded = Object.entries(stringMap(object.value.data)).map(([key, base64]) => [
    key,
    Buffer.from(base64, 'base64').toString('utf8'),
  ]);
  return { ...Object.fromEntries(decoded), ...stringMap(object.value.stringData) };
}

/** Reads a `LabelSelector`; garbage reads as the empty selector. */
export function readLabelSelector(value: unknown): LabelSelector {
  const selector = record(value);
  return {
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
): ContainerView {
  const env = new Map<string, string>();
  const envSetElsewhere = new Map<string, string>();
  const envValueSources = new Map<string, EnvOrigin>();
  const envFromUnresolved: string[] = [];
  // As the kubelet does: `envFrom` sources in order, then `env` entries, later ones winning.
  for (const entry of list(container.envFrom)) {
    const source = record(entry);
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    const [kind, reference] =
      source.secretRef === undefined
        ? (['ConfigMap', record(source.configMapRef)] as const)
        : (['Secret', record(source.secretRef)] as const);
    if (typeof reference.name !== 'string') continue;
    const found = lookupEnvSource(kind, reference.name);
    if (found === undefined) envFromUnresolved.push(`${kind} ${reference.name}`);
    for (const [key, value] of Object.entries(found?.data ?? {})) {
      env.set(prefix + key, value);
      if (found !== undefined) envValueSources.set(prefix + key, envOrigin(found, key));
      envSetElsewhere.delete(prefix + key);
    }
  }
  const envFieldRefs = new Map<string, string>();
  const envIndexes = new Map<string, number>();
  for (const [index, entry] of list(container.env).entries()) {
    const variable = record(entry);
    if (typeof variable.name !== 'string') continue;
    envIndexes.set(variable.name, index);
    env.delete(variable.name);
    envValueSources.delete(variable.name);
    envSetElsewhere.delete(variable.name);
    if (variable.value !== undefined) {
      env.set(variable.name, String(variable.value));
      continue;
    }
    const valueFrom = record(variable.valueFrom);
    const fieldPath = record(valueFrom.fieldRef).fieldPath;
    if (typeof fieldPath === 'string') envFieldRefs.set(variable.name, fieldPath);
    const resolved = readEnvReference(valueFrom, lookupEnvSource);
    if (resolved.kind === 'value') {
      env.set(variable.name, resolved.value);
      if (resolved.origin !== undefined) envValueSources.set(variable.name, resolved.origin);
    } else if (resolved.kind === 'elsewhere') envSetElsewhere.set(variable.name, resolved.from);
    // `valueFrom` with nothing readable, or no value at all: the variable is empty.
    else env.set(variable.name, '');
  }
  const lifecycle = record(container.lifecycle);
  return {
    name: typeof container.name === 'string' ? container.name : '',
    image: typeof container.image === 'string' ? container.image : '',
    command: stringList(container.command),
    args: stringList(container.args),
    env,
    envSetElsewhere,
    envValueSources,
    envFromUnresolved,
    envIndexes,
    envFieldRefs,
    ports: list(container.ports).flatMap((value): ContainerPort[] => {
      const port = record(value);
      const containerPort = integer(port.containerPort);
      if (containerPort === undefined) return [];
      return [
        {
          containerPort,
          ...(typeof port.name === 'string' ? { name: port.name } : {}),
          ...(integer(port.hostPort) === undefined ? {} : { hostPort: integer(port.hostPort) }),
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

function envOrigin({ object }: EnvSource, key: string): EnvOrigin {
  // A Secret's stringData wins over its data, so that is where the value is set.
  const inStringData = isRecord(object.value.stringData) && key in object.value.stringData;
  return {
    source: `${object.kind} ${object.name}`,
    location: object.locate([inStringData ? 'stringData' : 'data', key]),
  };
}

/** Reads an env entry's `valueFrom`: a ConfigMap or Secret key, or a field of the pod. */
function readEnvReference(
  valueFrom: Record<string, unknown>,
  lookupEnvSource: EnvSourceLookup,
): EnvValue {
  const fieldPath = record(valueFrom.fieldRef).fieldPath;
  if (typeof fieldPath === 'string') return { kind: 'elsewhere', from: `fieldRef ${fieldPath}` };
  if (valueFrom.resourceFieldRef !== undefined) {
    return { kind: 'elsewhere', from: 'resourceFieldRef' };
  }
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const selector = record(valueFrom[kind === 'ConfigMap' ? 'configMapKeyRef' : 'secretKeyRef']);
    if (typeof selector.name !== 'string' || typeof selector.key !== 'string') continue;
    const found = lookupEnvSource(kind, selector.name);
    const value = found?.data[selector.key];
    return found === undefined || value === undefined
      ? { kind: 'elsewhere', from: `${kind} ${selector.name}` }
      : { kind: 'value', value, origin: envOrigin(found, selector.key) };
  }
  return { kind: 'unset', maybeFrom: [] };
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

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((item) => String(item));
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function intOrPercent(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+%$/.test(value)) return value;
  return undefined;
}
