import { type ChannelOptions, experimental, type ServiceConfig, status } from '@grpc/grpc-js';
import { LameduckError } from '../errors/lameduck-error.js';
import { createJsonLogger, type Logger } from '../log/logger.js';
import { assertKnownOptions } from '../options/option-check.js';
import {
  type EtcdConnection,
  etcdConnectionOptionNames,
  prepareEtcdClient,
} from '../registry/etcd-client.js';
import { type EtcdDiscovery, etcdDiscovery } from '../registry/etcd-discovery.js';
import { parseHostPort, type RegistryFormat, type ServiceEndpoint } from '../registry/formats.js';

/** A method (or every method of a service) that is safe to send twice. */
export interface IdempotentMethod {
  /** Fully qualified service name, e.g. `echo.v1.Echo`. */
  service: string;
  /** One method; every method of the service when left out. */
  method?: string;
}

/** Options of {@link registerEtcdResolver}. */
export interface EtcdResolverOptions {
  /** The key/value format services register in. Default: `'etcd-naming'`. */
  format: RegistryFormat;
  /**
   * Methods to retry on UNAVAILABLE (up to 3 attempts, on other servers: the call failed or was
   * refused before it was processed, or the server died under it). Default: none.
   */
  idempotentMethods: readonly IdempotentMethod[];
  /** Hedge the idempotent methods (a second attempt after 100 ms) instead of retrying. */
  hedging: boolean;
  /** Replaces the default service config for a service (`etcd:///<service>`). */
  serviceConfig: ((service: string) => ServiceConfig) | undefined;
  /** The URI scheme. Default: `'etcd'`. */
  scheme: string;
  /** Where resolver events go. Default: JSON lines on stdout. */
  logger: Logger;
}

/** Defaults of {@link EtcdResolverOptions}. */
export const etcdResolverDefaults = {
  format: 'etcd-naming',
  idempotentMethods: [],
  hedging: false,
  serviceConfig: undefined,
  scheme: 'etcd',
} satisfies Partial<EtcdResolverOptions>;

/**
 * The default service config for a service: round_robin (which sends calls only to READY
 * servers while any is READY), and for the idempotent methods a retry policy on UNAVAILABLE, or
 * hedging.
 */
export function defaultEtcdServiceConfig(
  options: Pick<EtcdResolverOptions, 'idempotentMethods' | 'hedging'>,
): ServiceConfig {
  const names = options.idempotentMethods.map((m) =>
    m.method === undefined ? { service: m.service } : { service: m.service, method: m.method },
  );
  const policy = options.hedging
    ? {
        hedgingPolicy: {
          maxAttempts: 2,
          hedgingDelay: '0.1s',
          nonFatalStatusCodes: ['UNAVAILABLE'],
        },
      }
    : {
        retryPolicy: {
          maxAttempts: 3,
          initialBackoff: '0.05s',
          maxBackoff: '0.5s',
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      };
  return {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: names.length === 0 ? [] : [{ name: names, ...policy }],
  } as ServiceConfig;
}

/**
 * Channel options that notice a dead or hung server within about a second: an HTTP/2 ping every
 * 500 ms, with or without calls, answered within 500 ms. A call sent to a server that just hung
 * fails UNAVAILABLE (and is retried elsewhere, when idempotent) well before a 2 s deadline; with
 * 1 s and 1 s, detection took up to 2 s and the deadline came first for a few calls.
 * grpc-js servers accept these pings; grpc-go and C-core servers refuse them (GOAWAY
 * too_many_pings, after which grpc-js doubles the interval) unless they allow them: grpc-go with
 * `keepalive.EnforcementPolicy{MinTime: 400 * time.Millisecond, PermitWithoutStream: true}` (below
 * 500 ms, for timer jitter; test/grpc/go-interop.test.ts checks it),
 * C-core with `grpc.http2.min_ping_interval_without_data_ms` ≤ 500 and
 * `grpc.keepalive_permit_without_calls` = 1.
 */
export const etcdChannelOptions: ChannelOptions = {
  'grpc.keepalive_time_ms': 500,
  'grpc.keepalive_timeout_ms': 500,
  'grpc.keepalive_permit_without_calls': 1,
};

/** What {@link registerEtcdResolver} returns. */
export interface EtcdResolverRegistration {
  /** Stops every discovery the resolver started and closes its etcd client. */
  close(): Promise<void>;
}

function toEndpoints(endpoints: readonly ServiceEndpoint[]) {
  return endpoints.flatMap((e) => {
    const parsed = parseHostPort(e.address);
    return parsed.ok ? [{ addresses: [{ host: parsed.value.host, port: parsed.value.port }] }] : [];
  });
}

/**
 * Makes `etcd:///<service>` targets work in every grpc-js channel of this process: the channel's
 * servers are the service's instances in etcd, followed live through {@link etcdDiscovery} (over
 * one client, so that the channels of a service share one read and one watch). Needs @grpc/grpc-js 1.14 (its resolver API).
 */
export function registerEtcdResolver(
  options: Partial<EtcdResolverOptions> & EtcdConnection,
): EtcdResolverRegistration {
  assertKnownOptions('grpc: etcd resolver', options, [
    ...Object.keys(etcdResolverDefaults),
    'logger',
    ...etcdConnectionOptionNames,
  ]);
  const config: EtcdResolverOptions = {
    ...etcdResolverDefaults,
    logger: options.logger ?? createJsonLogger(),
    ...options,
  } as EtcdResolverOptions;
  const { format, scheme, logger } = config;
  if (typeof experimental.statusOrFromValue !== 'function') {
    throw new LameduckError(
      'invalid_state',
      'grpc: the etcd resolver needs @grpc/grpc-js 1.14 or later (its resolver API)',
    );
  }
  // One client for every service's discovery: etcdDiscovery shares a watch per client and service.
  const prepared = prepareEtcdClient(options);
  const client = prepared.create();
  const open = new Set<EtcdDiscovery>();
  const serviceConfigFor = (service: string): ServiceConfig =>
    config.serviceConfig?.(service) ?? defaultEtcdServiceConfig(config);

  class EtcdResolver implements experimental.Resolver {
    private readonly service: string;
    private discovery: EtcdDiscovery | undefined;
    private unsubscribe: (() => void) | undefined;
    // What was last reported: a re-resolution request with nothing new reports nothing, or the
    // load balancer (which asks again on every subchannel change) and we would loop.
    private reported: string | undefined;

    constructor(
      target: experimental.GrpcUri,
      private readonly listener: experimental.ResolverListener,
    ) {
      this.service = target.path.replace(/^\/+/, '');
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return target.path.replace(/^\/+/, '');
    }

    private report(onlyIfChanged = false): void {
      const discovery = this.discovery;
      if (discovery === undefined || !discovery.loaded) return;
      const current = discovery.endpoints.map((e) => e.address).join(',');
      if (onlyIfChanged && current === this.reported) return;
      this.reported = current;
      const endpoints = toEndpoints(discovery.endpoints);
      if (endpoints.length === 0) {
        this.listener(
          experimental.statusOrFromError({
            code: status.UNAVAILABLE,
            details: `no instance of '${this.service}' registered in etcd`,
          }),
          {},
          null,
          '',
        );
        return;
      }
      this.listener(
        experimental.statusOrFromValue(endpoints),
        {},
        experimental.statusOrFromValue(serviceConfigFor(this.service)),
        '',
      );
    }

    updateResolution(): void {
      if (this.discovery === undefined) {
        const discovery = etcdDiscovery({ client, service: this.service, format, logger });
        open.add(discovery);
        this.discovery = discovery;
        // grpc-js is given addresses only: a record changed at the same address is no news.
        this.unsubscribe = discovery.subscribe((changes) =>
          this.report(changes.every((change) => change.kind === 'updated')),
        );
        void discovery.whenLoaded().then(() => {
          if (this.discovery === discovery) this.report();
        });
        return;
      }
      // The watch keeps the set current; never synchronously: grpc-js forbids it.
      queueMicrotask(() => this.report(true));
    }

    destroy(): void {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.reported = undefined;
      if (this.discovery !== undefined) {
        open.delete(this.discovery);
        void this.discovery.close();
      }
      this.discovery = undefined;
    }
  }

  experimental.registerResolver(scheme, EtcdResolver);
  return {
    async close() {
      const discoveries = [...open];
      open.clear();
      await Promise.all(discoveries.map((discovery) => discovery.close()));
      if (prepared.owned) client.close();
    },
  };
}
