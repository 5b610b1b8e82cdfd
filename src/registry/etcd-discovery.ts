import type { Etcd3 } from 'etcd3';
import { LameduckError } from '../errors/lameduck-error.js';
import { createJsonLogger, type Logger } from '../log/logger.js';
import { assertKnownOptions } from '../options/option-check.js';
import { timerDelayProblem } from '../options/timer-delay.js';
import {
  createDiscoverySource,
  type DiscoverySource,
  type DiscoverySourceSettings,
} from './discovery-source.js';
import type { EndpointChange } from './endpoint-set.js';
import {
  type EtcdConnection,
  etcdConnectionOptionNames,
  prepareEtcdClient,
} from './etcd-client.js';
import { type RegistryFormat, registryFormats, type ServiceEndpoint } from './formats.js';

/** Options of {@link etcdDiscovery}. */
export interface EtcdDiscoveryOptions {
  /** The service whose instances to follow. Required. */
  service: string;
  /** The key/value format the instances register in. Default: `'etcd-naming'`. */
  format: RegistryFormat;
  /**
   * Bound on each call reading the prefix (a page of at most 10,000 keys). Default: 1000.
   */
  callTimeoutMs: number;
  /**
   * Pause before reading again after a failed read; it doubles at each failure in a row, up to
   * `maxRetryDelayMs` (each ±20 %). Default: 250.
   */
  retryDelayMs: number;
  /** The longest pause between reads while etcd does not answer (±20 %). Default: 1000. */
  maxRetryDelayMs: number;
  /**
   * How often the whole prefix is read again, in case the watch went silent (etcd3 issues #72,
   * #78). Each wait is drawn between 0.8 and 1.2 times this, so that callers started together
   * (a deployment's pods) do not all read etcd in the same second. Default: 30000.
   */
  resyncIntervalMs: number;
  /**
   * Where discovery events go. Discoveries sharing a watch (see {@link etcdDiscovery}) log each
   * event once to every distinct logger among them. Default: JSON lines on stdout.
   */
  logger: Logger;
}

/** Defaults of {@link EtcdDiscoveryOptions}. */
export const etcdDiscoveryDefaults = {
  format: 'etcd-naming',
  callTimeoutMs: 1000,
  retryDelayMs: 250,
  maxRetryDelayMs: 1000,
  resyncIntervalMs: 30_000,
} satisfies Partial<EtcdDiscoveryOptions>;

/**
 * A listener of {@link EtcdDiscovery.subscribe}: the changes of one etcd event (one, or two when
 * a key moves to another address), or the difference a fresh read of the prefix found. The array
 * is frozen and shared by every listener; `discovery.endpoints` already shows the changes.
 */
export type EndpointListener = (changes: readonly EndpointChange[]) => void;

/** The live set of a service's instances; see {@link etcdDiscovery}. */
export interface EtcdDiscovery {
  /**
   * The current instances, one per address, sorted by address: a frozen array, the same one
   * until the set changes (compare identities to know whether it did). Built on the first read
   * after a change, in O(n log n), once for every discovery sharing the watch. The last known
   * set while etcd is unreachable.
   */
  readonly endpoints: readonly ServiceEndpoint[];
  /** True once the prefix has been read at least once. */
  readonly loaded: boolean;
  /**
   * Calls `listener` with each change to the set from now on, not with the set as it is: a
   * discovery created before the first read tells it as every instance `added`, one created on a
   * watch already loaded starts from {@link EtcdDiscovery.endpoints}. A record written again
   * unchanged is no change. A listener that throws is logged (`discovery-listener-failed`) and the
   * others are still called. Returns the unsubscribe, which is idempotent; `close()` unsubscribes
   * every listener of this discovery.
   */
  subscribe(listener: EndpointListener): () => void;
  /** Resolves once the prefix has been read at least once; never if closed before that. */
  whenLoaded(): Promise<void>;
  /**
   * Stops this discovery's listeners; the watch stops with the last discovery sharing it, which
   * also closes the client if discovery made it. Idempotent.
   */
  close(): Promise<void>;
}

/** The discoveries sharing a source, per client, by {@link sharingKey}. */
const sharedSources = new WeakMap<Etcd3, Map<string, { source: DiscoverySource; users: number }>>();

/** What discoveries over one client must agree on to share a source. */
function sharingKey(settings: DiscoverySourceSettings): string {
  const { service, format, callTimeoutMs, retryDelayMs, maxRetryDelayMs, resyncIntervalMs } =
    settings;
  return JSON.stringify([
    service,
    format,
    callTimeoutMs,
    retryDelayMs,
    maxRetryDelayMs,
    resyncIntervalMs,
  ]);
}

/** A source for `settings`: the one already following them over the same client, or a new one. */
function acquireSource(settings: DiscoverySourceSettings): {
  source: DiscoverySource;
  release(): Promise<void>;
} {
  if (settings.ownsClient) {
    // A client of its own: nobody else can share it.
    const source = createDiscoverySource(settings);
    return { source, release: () => source.stop() };
  }
  let byKey = sharedSources.get(settings.client);
  if (byKey === undefined) {
    byKey = new Map();
    sharedSources.set(settings.client, byKey);
  }
  const key = sharingKey(settings);
  let entry = byKey.get(key);
  if (entry === undefined) {
    entry = { source: createDiscoverySource(settings), users: 0 };
    byKey.set(key, entry);
  }
  entry.users += 1;
  const shared = entry;
  const sources = byKey;
  return {
    source: shared.source,
    async release() {
      shared.users -= 1;
      if (shared.users > 0) return;
      // Forgotten at once: a discovery created while this one stops gets a fresh source.
      sources.delete(key);
      await shared.source.stop();
    },
  };
}

/**
 * Follows a service's instances in etcd: one consistent read of the prefix, then a watch from
 * the revision after it. A value that cannot be read is skipped with a warning. While etcd is
 * unreachable the last known set stays; when the watch reconnects, and every `resyncIntervalMs`,
 * the prefix is read again and the difference told, so a change missed meanwhile is not missed
 * for long.
 *
 * Discoveries given the same `client` share one read, one watch and one set per service, format
 * and timing options (`callTimeoutMs`, `retryDelayMs`, `maxRetryDelayMs`, `resyncIntervalMs`),
 * whatever their logger: a thousand discoveries of a service in a process cost one discovery,
 * and a change costs each listener the change itself. Discoveries given `endpoints` make a
 * client each and share nothing.
 */
export function etcdDiscovery(
  options: Partial<EtcdDiscoveryOptions> & Pick<EtcdDiscoveryOptions, 'service'> & EtcdConnection,
): EtcdDiscovery {
  assertKnownOptions('etcd discovery', options, [
    ...Object.keys(etcdDiscoveryDefaults),
    'service',
    'logger',
    ...etcdConnectionOptionNames,
  ]);
  const config: EtcdDiscoveryOptions = {
    ...etcdDiscoveryDefaults,
    logger: options.logger ?? defaultLogger(),
    ...options,
  } as EtcdDiscoveryOptions;
  const { service, format, logger } = config;
  if (typeof service !== 'string' || service.length === 0) {
    throw new LameduckError('invalid_config', 'etcd discovery: service must be a non-empty name');
  }
  if (!registryFormats.includes(format)) {
    throw new LameduckError(
      'invalid_config',
      `etcd discovery: format must be one of ${registryFormats.join(', ')}, got '${format}'`,
    );
  }
  for (const key of [
    'callTimeoutMs',
    'retryDelayMs',
    'maxRetryDelayMs',
    'resyncIntervalMs',
  ] as const) {
    const problem = timerDelayProblem(key, config[key], 1);
    if (problem !== undefined)
      throw new LameduckError('invalid_config', `etcd discovery: ${problem}`);
  }
  const connection = prepareEtcdClient(options);
  const { source, release } = acquireSource({
    ...config,
    client: connection.create(),
    ownsClient: connection.owned,
  });
  source.attachLogger(logger);
  const subscribed = new Set<EndpointListener>();
  let closing: Promise<void> | undefined;

  return {
    get endpoints() {
      return source.set.snapshot();
    },
    get loaded() {
      return source.loaded;
    },
    subscribe(listener) {
      if (closing !== undefined) return () => {};
      // A wrapper of its own: the same listener subscribed twice is called twice.
      const call = (changes: readonly EndpointChange[]): void => {
        try {
          listener(changes);
        } catch (error) {
          const failure = LameduckError.from(error);
          logger.warn(
            { event: 'discovery-listener-failed', service, format, error: failure.message },
            `a subscriber to the instances of '${service}' threw (${failure.rawMessage}); the others were told`,
          );
        }
      };
      subscribed.add(call);
      source.listeners.add(call);
      return () => {
        subscribed.delete(call);
        source.listeners.delete(call);
      };
    },
    whenLoaded() {
      return source.whenLoaded();
    },
    close() {
      closing ??= (async () => {
        for (const call of subscribed) source.listeners.delete(call);
        subscribed.clear();
        source.detachLogger(logger);
        await release();
      })();
      return closing;
    },
  };
}

let sharedDefaultLogger: Logger | undefined;

/** One JSON logger for every discovery given none: a shared watch logs its events once. */
function defaultLogger(): Logger {
  sharedDefaultLogger ??= createJsonLogger();
  return sharedDefaultLogger;
}
