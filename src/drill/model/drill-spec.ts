/**
 * What the drill reads from the user's manifests: the one Deployment or StatefulSet under test,
 * the container it runs, the Service in front of it and the PDB over it, with Kubernetes'
 * defaults filled in and every value the drill cannot honour refused with a message that names
 * it. Pure: the CLI loads the files; the runtime runs what this describes.
 */

import { err, LameduckError, ok, type Result } from '../../errors/lameduck-error.js';
import { envValue } from '../../k8s/container-env.js';
import { indexEnvSources } from '../../k8s/env-sources.js';
import { selectorMatches } from '../../k8s/label-selector.js';
import { integer, list, record } from '../../k8s/lenient-data.js';
import type { LoadedManifest, ManifestObject } from '../../k8s/manifest-loader.js';
import {
  type ContainerView,
  type LifecycleHandler,
  type ProbeView,
  readLabelSelector,
  readPdb,
  readService,
  readWorkload,
  type WorkloadView,
} from '../../k8s/workload.js';
import { resolveIntOrPercent } from './int-or-percent.js';
import type {
  AntiAffinityTerm,
  DisruptionBudget,
  SpreadConstraint,
  UpdateStrategy,
  WorkloadSpec,
} from './workload-spec.js';

/** An HTTP GET to the container, as a probe or a hook makes it. */
export interface HttpGetAction {
  kind: 'httpGet';
  port: number;
  path: string;
  scheme: 'HTTP' | 'HTTPS';
  headers: Record<string, string>;
}

/** How a probe or hook reaches the container. */
export type ProbeHandler =
  | HttpGetAction
  | { kind: 'grpc'; port: number; service: string }
  | { kind: 'tcpSocket'; port: number }
  | { kind: 'exec'; command: readonly string[] };

/** A probe with Kubernetes' defaults. */
export interface ProbeSpec {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The preStop hook as the kubelet runs it. */
export type PreStopSpec =
  | { kind: 'exec'; command: readonly string[] }
  | HttpGetAction
  | { kind: 'sleep'; seconds: number };

/** The pod fields a container's env may read (`fieldRef`), for one pod. */
export interface PodFields {
  name: string;
  namespace: string;
  podIp: string;
  hostIp: string;
  nodeName: string;
  labels: Readonly<Record<string, string>>;
}

/** The container under test, as the kubelet runs it. */
export interface ContainerSpec {
  name: string;
  /** The port the Service sends traffic to. */
  servingPort: number | undefined;
  preStop: PreStopSpec | undefined;
  readinessProbe: ProbeSpec | undefined;
  livenessProbe: ProbeSpec | undefined;
  startupProbe: ProbeSpec | undefined;
  /**
   * The container's env for one pod, `overrides` (`--env`) winning; or an error naming a value
   * neither the manifests nor the overrides give.
   */
  envFor(
    fields: PodFields,
    overrides?: Readonly<Record<string, string>>,
  ): Result<Record<string, string>>;
}

/** Everything the drill takes from the manifests. */
export interface DrillSpec {
  workload: WorkloadSpec;
  namespace: string;
  terminationGracePeriodSeconds: number;
  container: ContainerSpec;
  /** The Service selecting the pods, if any. */
  service: { name: string; publishNotReadyAddresses: boolean } | undefined;
  /** Containers of the pod that the drill does not run (sidecars, other apps). */
  otherContainers: readonly string[];
}

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `drill: ${message}`));

/**
 * Reads the drill's spec from `manifests`: exactly one Deployment or StatefulSet (`container`
 * names the container to run when the pod has several).
 */
export function readDrillSpec(
  manifests: readonly LoadedManifest[],
  options: { container?: string | undefined; envOverrides?: Readonly<Record<string, string>> } = {},
): Result<DrillSpec> {
  const problem = manifests.flatMap((m) => m.problems.map((p) => ({ file: m.file, p })))[0];
  if (problem !== undefined) {
    return invalid(`${problem.file}:${problem.p.location.line}: ${problem.p.message}`);
  }
  const objects = manifests.flatMap((m) => m.objects);
  const candidates = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  if (candidates.length === 0) {
    const kinds = [...new Set(objects.map((o) => o.kind))].join(', ') || 'nothing';
    return invalid(`no Deployment or StatefulSet among the manifests (found ${kinds})`);
  }
  if (candidates.length > 1) {
    return invalid(
      `several workloads among the manifests (${candidates.map((o) => `${o.kind}/${o.name}`).join(', ')}): give the drill one`,
    );
  }
  const object = candidates[0] as ManifestObject;
  const envSources = indexEnvSources(objects);
  const view = readWorkload(object, envSources.lookupIn(object.namespace));
  if (view === undefined) return invalid(`${object.kind}/${object.name} has no pod template`);
  const where = `${object.kind}/${object.name}`;

  const chosen = chooseContainer(view, options.container);
  if (!chosen.ok) return chosen;
  const containerView = chosen.value;
  const workload = readWorkloadSpec(view, objects);
  if (!workload.ok) return workload;

  const services = objects.flatMap((o) => {
    const service = readService(o);
    return service !== undefined &&
      o.namespace === object.namespace &&
      selectorMatches(service.selector, view.podLabels)
      ? [service]
      : [];
  });
  const service = services[0];
  const servingPort =
    service === undefined
      ? undefined
      : targetPortOf(service.targetPorts[0]?.targetPort, containerView);
  if (service !== undefined && servingPort === undefined) {
    return invalid(
      `Service/${service.object.name}'s targetPort ${JSON.stringify(service.targetPorts[0]?.targetPort)} is not a port of container '${containerView.name}'`,
    );
  }
  const readinessProbe = readProbeSpec(
    containerView.readinessProbe,
    containerView,
    `${where} readinessProbe`,
  );
  if (!readinessProbe.ok) return readinessProbe;
  const livenessProbe = readProbeSpec(
    containerView.livenessProbe,
    containerView,
    `${where} livenessProbe`,
  );
  if (!livenessProbe.ok) return livenessProbe;
  const startupProbe = readProbeSpec(
    containerView.startupProbe,
    containerView,
    `${where} startupProbe`,
  );
  if (!startupProbe.ok) return startupProbe;
  const preStop = readPreStop(containerView.preStop, containerView, `${where} preStop`);
  if (!preStop.ok) return preStop;

  const namespace = object.namespace ?? 'default';
  const containerIndex = containerView.path;
  const envFor: ContainerSpec['envFor'] = (fields, overrides = {}) => {
    const perPod = readWorkload(object, envSources.lookupIn(object.namespace), (path) =>
      fieldValue(path, fields),
    );
    const container = perPod?.containers.find((c) => c.path.join('/') === containerIndex.join('/'));
    if (container === undefined) return invalid(`${where}: container vanished`);
    return containerEnv(container, where, overrides);
  };
  // An env value the manifests do not give is refused now, not when the first pod starts.
  const envCheck = envFor(
    {
      name: 'check',
      namespace,
      podIp: '127.0.0.2',
      hostIp: '127.0.0.1',
      nodeName: 'node-1',
      labels: view.podLabels,
    },
    options.envOverrides,
  );
  if (!envCheck.ok) return envCheck;
  return ok({
    workload: workload.value,
    namespace,
    terminationGracePeriodSeconds: view.terminationGracePeriodSeconds ?? 30,
    container: {
      name: containerView.name,
      servingPort,
      preStop: preStop.value,
      readinessProbe: readinessProbe.value,
      livenessProbe: livenessProbe.value,
      startupProbe: startupProbe.value,
      envFor,
    },
    service:
      service === undefined
        ? undefined
        : { name: service.object.name, publishNotReadyAddresses: service.publishNotReadyAddresses },
    otherContainers: view.containers.filter((c) => c !== containerView).map((c) => c.name),
  });
}

function chooseContainer(view: WorkloadView, name: string | undefined): Result<ContainerView> {
  const apps = view.containers.filter((c) => !c.sidecar);
  if (name !== undefined) {
    const found = view.containers.find((c) => c.name === name);
    if (found !== undefined) return ok(found);
    return invalid(
      `${view.kind}/${view.name} has no container '${name}' (it has ${view.containers.map((c) => c.name).join(', ')})`,
    );
  }
  if (apps.length === 1) return ok(apps[0] as ContainerView);
  if (apps.length === 0) return invalid(`${view.kind}/${view.name} has no container`);
  return invalid(
    `${view.kind}/${view.name} has several containers (${apps.map((c) => c.name).join(', ')}): choose one with --container`,
  );
}

function readWorkloadSpec(
  view: WorkloadView,
  objects: readonly ManifestObject[],
): Result<WorkloadSpec> {
  const where = `${view.kind}/${view.name}`;
  const replicas = view.replicas ?? 1;
  if (replicas < 1) return invalid(`${where} has ${replicas} replicas: nothing to drill`);
  const strategy = readStrategy(view);
  if (!strategy.ok) return strategy;
  const podSpec = view.podSpec;
  const spread: SpreadConstraint[] = list(podSpec.topologySpreadConstraints).flatMap((value) => {
    const c = record(value);
    const maxSkew = integer(c.maxSkew);
    if (maxSkew === undefined || typeof c.topologyKey !== 'string') return [];
    return [
      {
        maxSkew,
        topologyKey: c.topologyKey,
        whenUnsatisfiable:
          c.whenUnsatisfiable === 'ScheduleAnyway' ? 'ScheduleAnyway' : 'DoNotSchedule',
        selector: readLabelSelector(c.labelSelector),
        honorTaints: c.nodeTaintsPolicy === 'Honor',
      },
    ];
  });
  const antiAffinity = record(record(podSpec.affinity).podAntiAffinity);
  const terms: AntiAffinityTerm[] = [
    ...list(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution).flatMap((value) => {
      const term = record(value);
      return typeof term.topologyKey === 'string'
        ? [
            {
              topologyKey: term.topologyKey,
              selector: readLabelSelector(term.labelSelector),
              weight: undefined,
            },
          ]
        : [];
    }),
    ...list(antiAffinity.preferredDuringSchedulingIgnoredDuringExecution).flatMap((value) => {
      const weighted = record(value);
      const term = record(weighted.podAffinityTerm);
      const weight = integer(weighted.weight);
      return typeof term.topologyKey === 'string' && weight !== undefined
        ? [
            {
              topologyKey: term.topologyKey,
              selector: readLabelSelector(term.labelSelector),
              weight,
            },
          ]
        : [];
    }),
  ];
  const pdbs = objects.flatMap((o) => {
    const pdb = readPdb(o);
    return pdb !== undefined &&
      o.namespace === view.object.namespace &&
      selectorMatches(pdb.selector, view.podLabels)
      ? [pdb]
      : [];
  });
  if (pdbs.length > 1) {
    return invalid(
      `several PodDisruptionBudgets select ${where}'s pods (${pdbs.map((p) => p.object.name).join(', ')}): the eviction API refuses every eviction then`,
    );
  }
  const pdbView = pdbs[0];
  const pdb: DisruptionBudget | undefined =
    pdbView === undefined
      ? undefined
      : {
          name: pdbView.object.name,
          minAvailable: pdbView.minAvailable,
          maxUnavailable: pdbView.maxUnavailable,
        };
  return ok({
    kind: view.kind as 'Deployment' | 'StatefulSet',
    name: view.name,
    replicas,
    strategy: strategy.value,
    minReadySeconds: integer(view.spec.minReadySeconds) ?? 0,
    orderedReady: view.kind === 'StatefulSet' && view.spec.podManagementPolicy !== 'Parallel',
    podLabels: view.podLabels,
    spread,
    antiAffinity: terms,
    pdb,
  });
}

function readStrategy(view: WorkloadView): Result<UpdateStrategy> {
  const where = `${view.kind}/${view.name}`;
  if (view.kind === 'StatefulSet') {
    const update = record(view.spec.updateStrategy);
    if (update.type === 'OnDelete') {
      return invalid(`${where} uses updateStrategy OnDelete: a rollout replaces no pod by itself`);
    }
    return ok({
      type: 'StatefulRollingUpdate',
      partition: integer(record(update.rollingUpdate).partition) ?? 0,
    });
  }
  const strategy = record(view.spec.strategy);
  if (strategy.type === 'Recreate') return ok({ type: 'Recreate' });
  const rolling = record(strategy.rollingUpdate);
  const maxSurge = intOrPercent(rolling.maxSurge, '25%');
  const maxUnavailable = intOrPercent(rolling.maxUnavailable, '25%');
  for (const [name, value] of [
    ['maxSurge', maxSurge],
    ['maxUnavailable', maxUnavailable],
  ] as const) {
    const checked = resolveIntOrPercent(
      value,
      100,
      true,
      `${where} strategy.rollingUpdate.${name}`,
    );
    if (!checked.ok) return checked;
  }
  if (isZero(maxSurge) && isZero(maxUnavailable)) {
    return invalid(
      `${where}: maxSurge and maxUnavailable may not both be 0 (the API server refuses it: no pod could ever be replaced)`,
    );
  }
  return ok({ type: 'RollingUpdate', maxSurge, maxUnavailable });
}

function intOrPercent(value: unknown, fallback: string): number | string {
  return typeof value === 'number' || typeof value === 'string' ? value : fallback;
}

function isZero(value: number | string): boolean {
  return value === 0 || value === '0%';
}

function targetPortOf(targetPort: unknown, container: ContainerView): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  if (typeof targetPort === 'string') {
    return container.ports.find((p) => p.name === targetPort)?.containerPort;
  }
  return container.ports[0]?.containerPort;
}

/** A probe or hook port: a number, or a container port's name. */
function portOf(port: unknown, container: ContainerView): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string') {
    if (/^\d+$/.test(port)) return Number(port);
    return container.ports.find((p) => p.name === port)?.containerPort;
  }
  return undefined;
}

function httpGetOf(
  value: unknown,
  container: ContainerView,
  what: string,
): Result<Extract<ProbeHandler, { kind: 'httpGet' }>> {
  const get = record(value);
  const port = portOf(get.port, container);
  if (port === undefined)
    return invalid(`${what}: httpGet port ${JSON.stringify(get.port)} is not a container port`);
  if (typeof get.host === 'string' && get.host !== '') {
    return invalid(
      `${what}: httpGet to host '${get.host}' is not drilled (only the pod's own address)`,
    );
  }
  const headers: Record<string, string> = {};
  for (const header of list(get.httpHeaders)) {
    const h = record(header);
    if (typeof h.name === 'string' && typeof h.value === 'string') headers[h.name] = h.value;
  }
  return ok({
    kind: 'httpGet',
    port,
    path: typeof get.path === 'string' ? get.path : '/',
    scheme: get.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
    headers,
  });
}

function readProbeSpec(
  probe: ProbeView | undefined,
  container: ContainerView,
  what: string,
): Result<ProbeSpec | undefined> {
  if (probe === undefined) return ok(undefined);
  const h = probe.handler;
  let handler: Result<ProbeHandler>;
  if (h.httpGet !== undefined) handler = httpGetOf(h.httpGet, container, what);
  else if (h.grpc !== undefined) {
    const grpc = record(h.grpc);
    const port = integer(grpc.port);
    handler =
      port === undefined
        ? invalid(`${what}: grpc needs a port number`)
        : ok({ kind: 'grpc', port, service: typeof grpc.service === 'string' ? grpc.service : '' });
  } else if (h.tcpSocket !== undefined) {
    const port = portOf(record(h.tcpSocket).port, container);
    handler =
      port === undefined
        ? invalid(`${what}: tcpSocket port is not a container port`)
        : ok({ kind: 'tcpSocket', port });
  } else if (h.exec !== undefined) {
    const command = list(record(h.exec).command).map(String);
    handler =
      command.length === 0
        ? invalid(`${what}: exec has no command`)
        : ok({ kind: 'exec', command });
  } else {
    return invalid(`${what} has no handler (httpGet, grpc, tcpSocket or exec)`);
  }
  if (!handler.ok) return handler;
  return ok({
    handler: handler.value,
    initialDelaySeconds: probe.initialDelaySeconds,
    periodSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds,
    successThreshold: 1,
    failureThreshold: probe.failureThreshold,
  });
}

function readPreStop(
  handler: LifecycleHandler | undefined,
  container: ContainerView,
  what: string,
): Result<PreStopSpec | undefined> {
  if (handler === undefined) return ok(undefined);
  switch (handler.kind) {
    case 'exec':
      return handler.command.length === 0
        ? invalid(`${what}: exec has no command`)
        : ok({ kind: 'exec', command: handler.command });
    case 'sleep':
      return ok({ kind: 'sleep', seconds: handler.seconds });
    case 'httpGet':
      return httpGetOf(
        { path: handler.path, port: handler.port, host: handler.host },
        container,
        what,
      );
    default:
      return invalid(
        `${what}: only exec, httpGet and sleep hooks run (tcpSocket hooks are deprecated and do nothing)`,
      );
  }
}

/** A pod field for `fieldRef`, as the downward API gives it. */
function fieldValue(path: string, fields: PodFields): string | undefined {
  switch (path) {
    case 'metadata.name':
      return fields.name;
    case 'metadata.namespace':
      return fields.namespace;
    case 'spec.nodeName':
      return fields.nodeName;
    case 'status.podIP':
    case 'status.podIPs':
      return fields.podIp;
    case 'status.hostIP':
    case 'status.hostIPs':
      return fields.hostIp;
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  return label === null ? undefined : fields.labels[label[1] as string];
}

function containerEnv(
  container: ContainerView,
  where: string,
  overrides: Readonly<Record<string, string>>,
): Result<Record<string, string>> {
  const names = new Set([...container.env.keys(), ...container.envSetElsewhere.keys()]);
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = envValue(container, name);
    if (value.kind === 'value') env[name] = value.value;
    else if (value.kind === 'elsewhere' && overrides[name] === undefined) {
      return invalid(
        `${where}: env ${name} comes from ${value.from}, which is not among the manifests; add it, or set ${name} with --env`,
      );
    }
  }
  if (container.envFromUnresolved.length > 0 && Object.keys(overrides).length === 0) {
    return invalid(
      `${where}: envFrom ${container.envFromUnresolved.join(', ')} is not among the manifests; add it, or set its variables with --env`,
    );
  }
  return ok({ ...env, ...overrides });
}
