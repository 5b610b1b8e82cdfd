/**
 * The drill's callers: a steady load on one path, through the Service (the kube-proxy model) or
 * through etcd discovery, as the chosen client would call: `lameduck` (its `etcd:///` resolver
 * with keepalive and retries on another server; for HTTP, one retry on another instance) or
 * `plain` (round robin over what etcd lists, no keepalive, no retry: the incident's callers).
 */
import type { ChannelOptions, ServiceConfig } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { etcdChannelOptions, registerEtcdResolver } from '../../grpc/etcd-resolver.js';
import type { Logger } from '../../log/logger.js';
import { etcdDiscovery } from '../../registry/etcd-discovery.js';
import type { RegistryFormat } from '../../registry/formats.js';
import type { TrafficPath } from './drill-recorder.js';
import { startGrpcLoad } from './grpc-load.js';
import { startGrpcStreams } from './grpc-streams.js';
import { sendHttpRequest, startHttpLoad } from './http-load.js';
import { type OpenLoopOptions, type RequestOutcome, startOpenLoop } from './open-loop.js';

/** What the callers send. */
export type TrafficSpec =
  | { kind: 'http'; method: string; path: string }
  | {
      kind: 'grpc';
      /** `/pkg.Service/Method`. */
      method: string;
      service: string;
      methodName: string;
      request: Buffer;
      serverStreaming: boolean;
    };

/** Where the callers find the service. */
export type TrafficTarget =
  | { path: 'service'; host: string; port: number }
  | {
      path: 'etcd';
      endpoints: string[];
      format: RegistryFormat;
      /** The name the instances register under. */
      service: string;
      client: 'lameduck' | 'plain';
      /** The method may be sent twice: the lameduck client retries it elsewhere. */
      idempotent: boolean;
    };

/** Options of {@link startTraffic}. */
export interface TrafficOptions {
  spec: TrafficSpec;
  target: TrafficTarget;
  ratePerSecond: number;
  /** Server streams held open (a server-streaming method). */
  streams: number;
  /** Deadline of each call or request. */
  deadlineMs: number;
  /** Called as each request ends, and as each held stream ends (`stream` true). */
  onSettled(
    path: TrafficPath,
    startedAtMs: number,
    endedAtMs: number,
    outcome: RequestOutcome,
    stream: boolean,
  ): void;
  logger: Logger;
}

/** A running load. */
export interface Traffic {
  /** Stops sending, waits for what is in flight (bounded), releases the clients. */
  stop(): Promise<void>;
}

let resolverSchemes = 0;
const roundRobinOnly = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [],
} as ServiceConfig;

/** Starts the callers. */
export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const { spec, target } = options;
  const settled: OpenLoopOptions['onSettled'] = (startedAtMs, endedAtMs, outcome) =>
    options.onSettled(target.path, startedAtMs, endedAtMs, outcome, false);
  const streamSettled: OpenLoopOptions['onSettled'] = (startedAtMs, endedAtMs, outcome) =>
    options.onSettled(target.path, startedAtMs, endedAtMs, outcome, true);
  if (spec.kind === 'http') {
    if (target.path === 'service') {
      const load = startHttpLoad({
        origin: `http://${target.host}:${target.port}`,
        ratePerSecond: options.ratePerSecond,
        clients: 4,
        connectionsPerClient: 2,
        path: spec.path,
        method: spec.method,
        pidOf: () => undefined,
        requestTimeoutMs: options.deadlineMs,
        onSettled: settled,
      });
      return { stop: async () => void (await load.stop()) };
    }
    return startEtcdHttpTraffic(options, target, settled);
  }

  let grpcTarget: string;
  let channelOptions: ChannelOptions;
  let closeResolver = async () => {};
  if (target.path === 'service') {
    grpcTarget = `${target.host}:${target.port}`;
    channelOptions = {};
  } else {
    resolverSchemes += 1;
    const scheme = `drill-${target.client}-${resolverSchemes}`;
    const lameduck = target.client === 'lameduck';
    const registration = registerEtcdResolver({
      endpoints: target.endpoints,
      format: target.format,
      scheme,
      logger: options.logger,
      idempotentMethods:
        lameduck && target.idempotent ? [{ service: spec.service, method: spec.methodName }] : [],
      // The plain client: round robin, nothing else (no retry policy).
      ...(lameduck ? {} : { serviceConfig: () => roundRobinOnly }),
    });
    closeResolver = () => registration.close();
    grpcTarget = `${scheme}:///${target.service}`;
    channelOptions = lameduck ? etcdChannelOptions : {};
  }
  if (spec.serverStreaming) {
    const streams = startGrpcStreams({
      target: grpcTarget,
      method: spec.method,
      request: spec.request,
      count: options.streams,
      channelOptions,
      onSettled: streamSettled,
    });
    return {
      async stop() {
        await streams.stop();
        await closeResolver();
      },
    };
  }
  const load = startGrpcLoad({
    target: grpcTarget,
    method: spec.method,
    request: spec.request,
    pidOf: () => undefined,
    ratePerSecond: options.ratePerSecond,
    deadlineMs: options.deadlineMs,
    channelOptions,
    // Through a Service, separate callers spread over the pods by connection.
    channels: target.path === 'service' ? 4 : 1,
    onSettled: settled,
  });
  return {
    async stop() {
      await load.stop();
      await closeResolver();
    },
  };
}

/**
 * HTTP through etcd: the instances etcd lists, round robin per request, a keep-alive pool per
 * instance; the lameduck client sends a request that failed on the connection once more, to the
 * next instance.
 */
async function startEtcdHttpTraffic(
  options: TrafficOptions,
  target: Extract<TrafficTarget, { path: 'etcd' }>,
  settled: OpenLoopOptions['onSettled'],
): Promise<Traffic> {
  const spec = options.spec as Extract<TrafficSpec, { kind: 'http' }>;
  const discovery = etcdDiscovery({
    endpoints: target.endpoints,
    service: target.service,
    format: target.format,
    logger: options.logger,
  });
  await discovery.whenLoaded();
  const pools = new Map<string, Pool>();
  const poolFor = (address: string): Pool => {
    let pool = pools.get(address);
    if (pool === undefined) {
      pool = new Pool(`http://${address}`, {
        connections: 4,
        headersTimeout: options.deadlineMs,
        bodyTimeout: options.deadlineMs,
      });
      pools.set(address, pool);
    }
    return pool;
  };
  const unsubscribe = discovery.subscribe((changes) => {
    for (const change of changes) {
      if (change.kind !== 'removed') continue;
      const pool = pools.get(change.endpoint.address);
      pools.delete(change.endpoint.address);
      void pool?.close().catch(() => {});
    }
  });
  const retries = target.client === 'lameduck' && target.idempotent ? 1 : 0;
  const connectionFailure = (outcome: RequestOutcome) =>
    !outcome.ok && !outcome.code.startsWith('HTTP ');
  let next = 0;
  const load = startOpenLoop({
    ratePerSecond: options.ratePerSecond,
    drainWaitMs: options.deadlineMs,
    ...(settled === undefined ? {} : { onSettled: settled }),
    async send() {
      let outcome: RequestOutcome = {
        ok: false,
        code: 'ECONNREFUSED',
        message: 'no instance in etcd',
      };
      for (let attempt = 0; attempt <= retries; attempt++) {
        const endpoints = discovery.endpoints;
        if (endpoints.length === 0) return outcome;
        const address = (endpoints[next++ % endpoints.length] as { address: string }).address;
        outcome = await sendHttpRequest(poolFor(address), spec, () => undefined);
        if (!connectionFailure(outcome)) return outcome;
      }
      return outcome;
    },
    async close() {
      unsubscribe();
      await Promise.all([...pools.values()].map((pool) => pool.destroy().catch(() => {})));
      await discovery.close();
    },
  });
  return { stop: async () => void (await load.stop()) };
}
