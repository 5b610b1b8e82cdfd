/**
 * A drill's cluster at run time: the model (`../model/cluster-model.ts`) decides, this makes it
 * happen with real processes. Each kubelet action starts or stops a pod; each report of a pod
 * goes back to the model; the Service's endpoints follow the model and reach the proxy after a
 * propagation delay; node events (cordon and evict, crash, hang) are played on the nodes' pods.
 */

import { connect } from 'node:net';
import { LameduckError } from '../../errors/lameduck-error.js';
import type { ClusterModel, ModelPod } from '../model/cluster-model.js';
import { createClusterModel } from '../model/cluster-model.js';
import type { DrillSpec, PodFields } from '../model/drill-spec.js';
import { createPropagationQueue, type PropagationRange } from '../model/propagation.js';
import type { Random } from '../model/random.js';
import type { AddressBlock } from './addresses.js';
import type { DrillRecorder } from './drill-recorder.js';
import type { NetnsNetworks, PodNetwork } from './netns.js';
import { createPodRuntime, type PodRuntime } from './pod-runtime.js';
import type { Reaper } from './reaper.js';
import type { ContainerCommand } from './run-line.js';
import { type ServiceProxy, startServiceProxy } from './service-proxy.js';

/** Options of {@link startDrillCluster}. */
export interface DrillClusterOptions {
  spec: DrillSpec;
  command: ContainerCommand;
  nodeCount: number;
  random: Random;
  addresses: AddressBlock;
  reaper: Reaper;
  recorder: DrillRecorder;
  propagation: PropagationRange;
  nodeMonitorGraceMs: number;
  notReadyTolerationMs: number;
  /** The Service's proxy, if the Service path is drilled. */
  proxy: ServiceProxy | undefined;
  /** Env every pod gets besides the manifest's (the process env). */
  baseEnv: Readonly<Record<string, string>>;
  /** The drill's etcd, given to pods as `ETCD_ENDPOINTS`, if the etcd path is drilled. */
  etcdEndpoints: readonly string[] | undefined;
  /** With `--netns`: each pod in a network namespace of its own. */
  networks: NetnsNetworks | undefined;
  /** `--env` values. */
  envOverrides: Readonly<Record<string, string>>;
  /** Aborts the start (Ctrl-C). */
  signal: AbortSignal;
}

/** The running cluster. */
export interface DrillCluster {
  readonly model: ClusterModel;
  /** The drill's clock: milliseconds since the cluster started. */
  now(): number;
  /** Resolves once every replica is ready (and its port open); rejects with a clear error if not. */
  whenReady(timeoutMs: number): Promise<void>;
  /** Resolves once the proxy routes to every ready endpoint (the propagation delay has passed). */
  whenRouted(timeoutMs: number): Promise<void>;
  /** Resolves when `condition` holds, checked after every change; rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Lets the controllers act now (after an outside change to the model). */
  reconcile(): void;
  /** The pods (at run time) by name. */
  readonly pods: ReadonlyMap<string, PodRuntime>;
  /** Kills every process of every node now (no hook: a power cut). */
  crashNode(node: string): void;
  /** Stops every process of a node (SIGSTOP); the node's kubelet goes silent too. */
  hangNode(node: string): void;
  /** Lets a hung node go on (SIGCONT); its kubelet catches up. */
  resumeNode(node: string): void;
  /** Stops every pod and timer. */
  close(): Promise<void>;
}

/** Starts the cluster: nodes, and the workload's pods being created. */
export function startDrillCluster(options: DrillClusterOptions): DrillCluster {
  const { spec, recorder, addresses, proxy } = options;
  const now = () => recorder.now();
  const model = createClusterModel({
    workload: spec.workload,
    nodeCount: options.nodeCount,
    nodeMonitorGraceMs: options.nodeMonitorGraceMs,
    notReadyTolerationMs: options.notReadyTolerationMs,
    random: options.random,
  });
  const pods = new Map<string, PodRuntime>();
  const networks = new Map<string, PodNetwork>();
  const podAddresses = new Map<string, string>();
  const deadNodes = new Set<string>();
  const hungNodes = new Set<string>();
  // Actions for a hung node's kubelet wait until it answers again.
  const deferred = new Map<string, Array<() => void>>();
  const waiters = new Set<() => void>();
  const propagation = createPropagationQueue(options.propagation, options.random);
  let wakeTimer: NodeJS.Timeout | undefined;
  let lastEndpoints = '';
  // What the proxy routes to now: the endpoints as they were `propagation` ago.
  let appliedEndpoints = '';
  let closed = false;
  let startFailure: LameduckError | undefined;
  // Until every first replica is ready: a command that exits, or never opens its port, is the
  // user's mistake, reported as such instead of drilled.
  let starting = true;
  const portsOpen = new Set<string>();
  const portPollers = new Set<NodeJS.Timeout>();

  const nodeIndex = (node: string) => Number(node.slice('node-'.length));
  const onNode = (node: string | undefined, action: () => void): void => {
    if (node === undefined || deadNodes.has(node)) return;
    if (hungNodes.has(node)) {
      deferred.set(node, [...(deferred.get(node) ?? []), action]);
      return;
    }
    action();
  };
  const changed = (): void => {
    for (const wake of [...waiters]) wake();
  };

  const servingEndpoints = (): string[] => {
    const port = spec.container.servingPort;
    if (port === undefined) return [];
    const all = model.endpoints();
    const publish = spec.service?.publishNotReadyAddresses === true;
    const ready = all.filter((e) => (publish ? true : e.ready));
    // KEP-1669: with every endpoint terminating, kube-proxy uses those still serving.
    const chosen =
      ready.length > 0 || publish ? ready : all.filter((e) => e.serving && e.terminating);
    return chosen.flatMap((e) => {
      const address = podAddresses.get(e.pod);
      return address === undefined ? [] : [`${address}:${port}`];
    });
  };

  const updateEndpoints = (): void => {
    const endpoints = servingEndpoints();
    const key = endpoints.join(',');
    if (key === lastEndpoints) return;
    lastEndpoints = key;
    const changedAtMs = now();
    recorder.endpointsChanged(changedAtMs, endpoints);
    if (proxy === undefined) return;
    const deliveryAtMs = propagation.deliveryAtMs(changedAtMs);
    setTimeout(
      () => {
        if (closed) return;
        proxy.setEndpoints(
          endpoints.map((e) => {
            const [host = '', port = ''] = e.split(/:(?=\d+$)/);
            return { host, port: Number(port) };
          }),
        );
        appliedEndpoints = key;
        recorder.proxyUpdated(now(), endpoints);
        changed();
      },
      Math.max(0, deliveryAtMs - changedAtMs),
    );
  };

  // With --netns, pods reach the drill's etcd through a forwarder on their node's address.
  const etcdForwarders = new Map<number, Promise<ServiceProxy>>();
  const etcdFor = async (index: number, nodeAddress: string): Promise<string[] | undefined> => {
    const endpoints = options.etcdEndpoints;
    if (endpoints === undefined || options.networks === undefined) return endpoints?.slice();
    let forwarder = etcdForwarders.get(index);
    if (forwarder === undefined) {
      const backends = endpoints.map((url) => {
        const { hostname, port } = new URL(url);
        return { host: hostname, port: Number(port) };
      });
      forwarder = startServiceProxy(backends, nodeAddress);
      etcdForwarders.set(index, forwarder);
    }
    return [`http://${nodeAddress}:${(await forwarder).port}`];
  };
  const networkOf = async (node: string) => {
    const index = nodeIndex(node);
    if (options.networks === undefined) {
      const nodeAddress = addresses.nodeAddress(index);
      return {
        podAddress: addresses.podAddress(index),
        nodeAddress,
        network: undefined,
        etcdEndpoints: await etcdFor(index, nodeAddress),
      };
    }
    const network = await options.networks.createPod(index);
    for (const entry of options.networks.names) options.reaper.watchNetwork(entry);
    return {
      podAddress: network.podAddress,
      nodeAddress: network.nodeAddress,
      network,
      etcdEndpoints: await etcdFor(index, network.nodeAddress),
    };
  };

  const startPod = async (pod: ModelPod): Promise<void> => {
    const node = pod.node as string;
    const { podAddress, nodeAddress, network, etcdEndpoints } = await networkOf(node);
    if (closed) {
      await network?.remove();
      return;
    }
    if (network !== undefined) networks.set(pod.name, network);
    podAddresses.set(pod.name, podAddress);
    recorder.podAddress(pod.name, podAddress);
    const fields: PodFields = {
      name: pod.name,
      namespace: spec.namespace,
      podIp: podAddress,
      hostIp: nodeAddress,
      nodeName: node,
      labels: pod.labels,
    };
    const manifestEnv = spec.container.envFor(fields, options.envOverrides);
    if (!manifestEnv.ok) {
      startFailure ??= manifestEnv.error;
      changed();
      return;
    }
    const runtime = createPodRuntime({
      name: pod.name,
      podAddress,
      nodeAddress: fields.hostIp,
      container: spec.container,
      command:
        network === undefined
          ? options.command
          : {
              ...options.command,
              command: network.execPrefix[0] as string,
              args: [
                ...network.execPrefix.slice(1),
                options.command.command,
                ...options.command.args,
              ],
            },
      execPrefix: network?.execPrefix ?? [],
      env: {
        ...options.baseEnv,
        ...(etcdEndpoints === undefined ? {} : { ETCD_ENDPOINTS: etcdEndpoints.join(',') }),
        ...manifestEnv.value,
        // What the downward API and the kubelet give (as the issue's contract promises).
        POD_NAME: pod.name,
        POD_NAMESPACE: spec.namespace,
        POD_IP: podAddress,
        HOST_IP: fields.hostIp,
        NODE_NAME: node,
        HOSTNAME: pod.name,
      },
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      reaper: options.reaper,
      reporter: {
        started: () => onNode(node, () => report(() => model.podStarted(pod.name, now()))),
        readiness: (ready) =>
          onNode(node, () => report(() => model.podReadiness(pod.name, ready, now()))),
        gone: () =>
          onNode(node, () => {
            report(() => model.podGone(pod.name, now()));
            void network?.remove();
          }),
        event: (kind, detail) => {
          recorder.podEvent(now(), pod.name, node, kind, detail);
          if (starting && kind === 'restarting') {
            const stderr = runtime.container?.stderrTail() ?? '';
            startFailure ??= new LameduckError(
              'invalid_config',
              `drill: pod ${pod.name}: the command ${detail} as it started${stderr === '' ? ' (nothing on stderr)' : `; its last lines on stderr:\n${stderr}`}`,
            );
            changed();
          }
        },
        phase: (phase) => recorder.podPhase(now(), pod.name, phase),
      },
    });
    pods.set(pod.name, runtime);
    recorder.podPhase(now(), pod.name, 'pending');
    runtime.start();
    if (starting && spec.container.servingPort !== undefined) {
      pollPort(pod.name, podAddress, spec.container.servingPort, fields.hostIp);
    }
  };

  const pollPort = (pod: string, host: string, port: number, localAddress: string): void => {
    const attempt = (): void => {
      if (closed || !starting) return;
      const socket = connect({ host, port, localAddress });
      socket.once('connect', () => {
        socket.destroy();
        portsOpen.add(pod);
        changed();
      });
      socket.once('error', () => {
        const timer = setTimeout(() => {
          portPollers.delete(timer);
          attempt();
        }, 100);
        portPollers.add(timer);
      });
    };
    attempt();
  };

  const report = (apply: () => void): void => {
    if (closed) return;
    apply();
    reconcile();
  };

  const reconcile = (): void => {
    if (closed) return;
    const t = now();
    for (const action of model.reconcile(t)) {
      const { pod } = action;
      if (action.kind === 'start') {
        onNode(pod.node, () => {
          startPod(pod).catch((error: unknown) => {
            startFailure ??= LameduckError.from(error, 'unavailable');
            changed();
          });
        });
      } else {
        recorder.podEvent(t, pod.name, pod.node ?? '', 'deleted', pod.deletionReason);
        onNode(pod.node, () => void pods.get(pod.name)?.terminate());
      }
    }
    recorder.modelEvents(model.events);
    updateEndpoints();
    clearTimeout(wakeTimer);
    const wakeAtMs = model.nextWakeAtMs(t);
    if (wakeAtMs !== undefined) wakeTimer = setTimeout(reconcile, Math.max(0, wakeAtMs - t) + 1);
    changed();
  };

  const until = (condition: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (options.signal.aborted) finish(options.signal.reason);
        else if (startFailure !== undefined) finish(startFailure);
        else if (condition()) finish();
      };
      const finish = (error?: unknown): void => {
        waiters.delete(check);
        clearTimeout(timer);
        options.signal.removeEventListener('abort', check);
        if (error === undefined) resolve();
        else reject(error);
      };
      const timer = setTimeout(
        () =>
          finish(
            new LameduckError(
              'deadline_exceeded',
              `drill: ${what} did not happen within ${Math.round(timeoutMs / 1000)} s`,
            ),
          ),
        timeoutMs,
      );
      waiters.add(check);
      options.signal.addEventListener('abort', check, { once: true });
      check();
    });

  reconcile();
  return {
    model,
    now,
    pods,
    reconcile,
    until,
    async whenReady(timeoutMs) {
      const current = () => model.pods.filter((p) => p.deletedAtMs === undefined);
      const portOpen = (p: ModelPod) =>
        spec.container.servingPort === undefined || portsOpen.has(p.name);
      try {
        await until(
          () =>
            current().length === spec.workload.replicas &&
            current().every((p) => p.ready && portOpen(p)),
          timeoutMs,
          'every replica to become ready',
        );
      } catch (error) {
        const closedPort = current().find((p) => p.node !== undefined && !portOpen(p));
        if (
          error instanceof LameduckError &&
          error.code === 'deadline_exceeded' &&
          closedPort !== undefined
        ) {
          throw new LameduckError(
            'invalid_config',
            `drill: pod ${closedPort.name} never opened port ${spec.container.servingPort} on its address ${podAddresses.get(closedPort.name)} within ${Math.round(timeoutMs / 1000)} s: the service must listen on POD_IP (or 0.0.0.0 with --netns) on the Service's targetPort`,
          );
        }
        const pending = current().find((p) => p.node === undefined);
        if (
          error instanceof LameduckError &&
          error.code === 'deadline_exceeded' &&
          pending !== undefined
        ) {
          const reason = model.events.findLast(
            (e) => e.kind === 'unschedulable' && e.pod === pending.name,
          )?.detail;
          throw new LameduckError(
            'invalid_config',
            `drill: pod ${pending.name} cannot be scheduled: ${reason ?? 'no node'}`,
          );
        }
        throw error;
      } finally {
        starting = false;
        for (const timer of portPollers) clearTimeout(timer);
      }
    },
    whenRouted(timeoutMs) {
      return until(
        () => proxy === undefined || (appliedEndpoints === lastEndpoints && lastEndpoints !== ''),
        timeoutMs,
        'the Service to route to every ready pod',
      );
    },
    crashNode(node) {
      deadNodes.add(node);
      for (const pod of model.pods) {
        if (pod.node !== node) continue;
        pods.get(pod.name)?.crash();
        // With its own network, a dead machine's address goes silent instead of refusing.
        void networks.get(pod.name)?.blackhole();
      }
      model.nodeSilent(node, now());
      recorder.nodeEvent(now(), node, 'crashed');
      reconcile();
    },
    hangNode(node) {
      hungNodes.add(node);
      for (const pod of model.pods) if (pod.node === node) pods.get(pod.name)?.freeze();
      model.nodeSilent(node, now());
      recorder.nodeEvent(now(), node, 'hung');
      reconcile();
    },
    resumeNode(node) {
      hungNodes.delete(node);
      for (const pod of model.pods) if (pod.node === node) pods.get(pod.name)?.thaw();
      model.nodeHeard(node, now());
      recorder.nodeEvent(now(), node, 'resumed');
      const queued = deferred.get(node) ?? [];
      deferred.delete(node);
      for (const action of queued) action();
      reconcile();
    },
    async close() {
      closed = true;
      starting = false;
      clearTimeout(wakeTimer);
      for (const timer of portPollers) clearTimeout(timer);
      const exits = [...pods.values()].map((pod) => {
        pod.dispose();
        return pod.container?.exited;
      });
      await Promise.all(exits);
      for (const forwarder of etcdForwarders.values()) await (await forwarder).close();
    },
  };
}
