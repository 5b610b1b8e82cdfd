import type { Etcd3, Watcher } from 'etcd3';
import { LameduckError } from '../errors/lameduck-error.js';
import { createJsonLogger, type Logger } from '../lifecycle/logger.js';
import { assertKnownOptions } from '../lifecycle/option-check.js';
import { timerDelayProblem } from '../lifecycle/timer-delay.js';
import {
  type EtcdConnection,
  etcdConnectionOptionNames,
  etcdFailureReason,
  prepareEtcdClient,
} from './etcd-client.js';
import {
  type RegistryFormat,
  registryCodec,
  registryFormats,
  type ServiceEndpoint,
} from './formats.js';
import { type PrefixEntry, readPrefix } from './prefix-read.js';
import { resyncDelayMs } from './resync-delay.js';
import { createRetrySchedule } from './retry-schedule.js';

/** Options of {@link etcdDiscovery}. */
export interface EtcdDiscoveryOptions {
  /** The service whose instances to follow. Required. */
  service: string;
  /** The key/value format the instances register in. Default: `'etcd-naming'`. */
  format: RegistryFormat;
  /** Bound on each read of the prefix. Default: 1000. */
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
  /** Where discovery events go. Default: JSON lines on stdout. */
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

/** The live set of a service's instances; see {@link etcdDiscovery}. */
export interface EtcdDiscovery {
  /** The current instances, one per address; the last known set while etcd is unreachable. */
  readonly endpoints: readonly ServiceEndpoint[];
  /** True once the prefix has been read at least once. */
  readonly loaded: boolean;
  /** Calls `listener` with the set on every change (not at once). Returns the unsubscribe. */
  subscribe(listener: (endpoints: readonly ServiceEndpoint[]) => void): () => void;
  /** Resolves once the prefix has been read at least once. */
  whenLoaded(): Promise<void>;
  /** Stops watching; closes the client if discovery made it. */
  close(): Promise<void>;
}

/**
 * Follows a service's instances in etcd: one consistent read of the prefix, then a watch from
 * the revision after it. A value that cannot be read is skipped with a warning. While etcd is
 * unreachable the last known set stays; when the watch reconnects, and every `resyncIntervalMs`,
 * the prefix is read again, so a change missed meanwhile is not missed for long.
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
    logger: options.logger ?? createJsonLogger(),
    ...options,
  } as EtcdDiscoveryOptions;
  const { service, format, callTimeoutMs, resyncIntervalMs, logger } = config;
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
  const codec = registryCodec(format);
  const prefix = codec.prefix(service);
  const connection = prepareEtcdClient(options);
  const client: Etcd3 = connection.create();
  const byKey = new Map<string, ServiceEndpoint>();
  // How many keys name each address: an address leaves the set with its last key.
  const keyCountByAddress = new Map<string, number>();
  const listeners = new Set<(endpoints: readonly ServiceEndpoint[]) => void>();
  // One endpoint per address, sorted by address; replaced (never mutated) on every change, so a
  // listener may keep the array it was given.
  let endpoints: readonly ServiceEndpoint[] = [];
  let loaded = false;
  let loadedWaiters: Array<() => void> = [];
  let watcher: Watcher | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let loading = false;

  const retries = createRetrySchedule({
    initialDelayMs: config.retryDelayMs,
    maxDelayMs: config.maxRetryDelayMs,
  });
  const log = (
    level: 'debug' | 'info' | 'warn',
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ) => logger[level]({ event, service, format, ...fields }, message);

  const notify = (): void => {
    for (const listener of listeners) {
      try {
        listener(endpoints);
      } catch (error) {
        const failure = LameduckError.from(error);
        log(
          'warn',
          'discovery-listener-failed',
          `a subscriber to the instances of '${service}' threw (${failure.rawMessage}); the others were told`,
          { error: failure.message },
        );
      }
    }
  };

  // A watch event changes one key: the set is updated in place of being rebuilt, which keeps a
  // change O(log n) plus one array copy with thousands of instances (bench/etcd-propagation.ts).
  const withEndpoint = (endpoint: ServiceEndpoint): boolean => {
    const { index, found } = searchByAddress(endpoints, endpoint.address);
    endpoints = endpoints.toSpliced(index, found ? 1 : 0, endpoint);
    return !found;
  };
  const withoutAddress = (address: string): boolean => {
    const { index, found } = searchByAddress(endpoints, address);
    if (!found) return false;
    endpoints = endpoints.toSpliced(index, 1);
    return true;
  };

  /** Counts one more key naming `address`. */
  const countKey = (address: string): void => {
    keyCountByAddress.set(address, (keyCountByAddress.get(address) ?? 0) + 1);
  };

  /** Removes `key`; true when its address left the set. */
  const removeKey = (key: string): boolean => {
    const previous = byKey.get(key);
    if (previous === undefined) return false;
    byKey.delete(key);
    const remaining = (keyCountByAddress.get(previous.address) ?? 1) - 1;
    if (remaining > 0) {
      keyCountByAddress.set(previous.address, remaining);
      // Another key still names the address (a stale lease, say): keep its record. Rare: a scan.
      for (const endpoint of byKey.values()) {
        if (endpoint.address === previous.address) return withEndpoint(endpoint);
      }
      return false;
    }
    keyCountByAddress.delete(previous.address);
    return withoutAddress(previous.address);
  };

  /** Sets `key` to `endpoint`; true when the set of addresses changed. */
  const setKey = (key: string, endpoint: ServiceEndpoint): boolean => {
    const previous = byKey.get(key);
    const left = previous !== undefined && previous.address !== endpoint.address && removeKey(key);
    if (previous === undefined || previous.address !== endpoint.address) countKey(endpoint.address);
    byKey.set(key, endpoint);
    return withEndpoint(endpoint) || left;
  };

  /** Decodes one record; one that cannot be read is logged and read as absent. */
  const decodeRecord = (key: string, value: string) => {
    const decoded = codec.decode(key, value);
    if (decoded.ok) return decoded.value;
    skipped(key, decoded.error.rawMessage);
    return undefined;
  };

  const skipped = (key: string, reason: string): void =>
    log(
      'warn',
      'registry-record-skipped',
      `skipped the etcd record ${key} of '${service}', which callers cannot use: ${reason}`,
      { key, error: reason },
    );

  /** Applies one record; true when the set of addresses changed. */
  const apply = (key: string, value: string): boolean => {
    const record = decodeRecord(key, value);
    if (record === undefined) return removeKey(key);
    if (record.op === 'add') return setKey(key, record.endpoint);
    // etcd naming's `Op: 1` deletes the address, whatever key named it.
    const { address } = record;
    let changed = removeKey(key);
    for (const [k, e] of byKey) if (e.address === address) changed = removeKey(k) || changed;
    return changed;
  };

  /** Replaces the whole set with a fresh read; true when the addresses differ. */
  const replaceAll = (kvs: readonly PrefixEntry[]): boolean => {
    const before = endpoints;
    byKey.clear();
    keyCountByAddress.clear();
    endpoints = [];
    for (const kv of kvs) {
      const key = kv.key.toString();
      const record = decodeRecord(key, kv.value.toString());
      if (record?.op !== 'add') continue;
      byKey.set(key, record.endpoint);
      countKey(record.endpoint.address);
    }
    const byAddress = new Map<string, ServiceEndpoint>();
    for (const endpoint of byKey.values()) byAddress.set(endpoint.address, endpoint);
    endpoints = [...byAddress.values()].sort((a, b) => compareAddresses(a.address, b.address));
    return (
      endpoints.length !== before.length ||
      endpoints.some((endpoint, i) => endpoint.address !== before[i]?.address)
    );
  };

  const watchFrom = async (revision: string): Promise<void> => {
    if (watcher !== undefined || closed) return;
    const created = await client.watch().prefix(prefix).startRevision(revision).create();
    if (closed) {
      await created.cancel();
      return;
    }
    watcher = created;
    let disconnected = false;
    created.on('put', (kv) => {
      if (apply(kv.key.toString(), kv.value.toString())) notify();
    });
    created.on('delete', (kv) => {
      if (removeKey(kv.key.toString())) notify();
    });
    created.on('disconnected', (error) => {
      if (!disconnected) {
        log(
          'warn',
          'discovery-watch-disconnected',
          `lost the etcd watch of '${service}' (${error.message}): keeping the ${endpoints.length} known instances until it reconnects`,
          { error: error.message, keptInstances: endpoints.length },
        );
      }
      disconnected = true;
    });
    created.on('connected', () => {
      // The watch resumes from its last revision; read again anyway, in case it went silent.
      if (disconnected) void load();
      disconnected = false;
    });
    created.on('error', (error) => {
      log(
        'warn',
        'discovery-watch-error',
        `the etcd watch of '${service}' failed (${error.message}); it reconnects by itself`,
        { error: error.message },
      );
    });
  };

  const load = async (): Promise<void> => {
    if (closed || loading) return;
    loading = true;
    clearTimeout(retryTimer);
    try {
      const snapshot = await readPrefix(client, prefix, { callTimeoutMs });
      for (const key of snapshot.oversizedKeys) {
        skipped(key, 'its value is larger than a gRPC message may be');
      }
      if (replaceAll(snapshot.entries)) notify();
      const recovered = retries.succeeded();
      const { text: afterFailures = '', ...failures } = recovered ?? {};
      if (recovered !== undefined && loaded) {
        log(
          'info',
          'discovery-read-recovered',
          `read the instances of '${service}' from etcd again${afterFailures}`,
          { instances: endpoints.length, ...failures },
        );
      }
      if (!loaded) {
        loaded = true;
        log(
          'info',
          'discovery-loaded',
          `read ${endpoints.length} instances of '${service}' from etcd${afterFailures}; following their changes`,
          { instances: endpoints.length, ...failures },
        );
        const waiters = loadedWaiters;
        loadedWaiters = [];
        for (const resolve of waiters) resolve();
      }
      await watchFrom(String(BigInt(snapshot.revision) + 1n));
      retryTimer = setTimeout(() => void load(), resyncDelayMs(resyncIntervalMs, Math.random));
    } catch (error) {
      if (closed) return;
      const retry = retries.failed({
        attempt: `read the instances of '${service}' from etcd`,
        reason: etcdFailureReason(error),
        meanwhile: `keeping the ${endpoints.length} known instances`,
      });
      log(retry.level, 'discovery-read-failed', retry.message, {
        error: LameduckError.from(error).message,
        keptInstances: endpoints.length,
        ...retry.fields,
      });
      retryTimer = setTimeout(() => void load(), retry.delayMs);
    } finally {
      loading = false;
    }
  };
  void load();

  return {
    get endpoints() {
      return endpoints;
    },
    get loaded() {
      return loaded;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    whenLoaded() {
      if (loaded) return Promise.resolve();
      return new Promise<void>((resolve) => loadedWaiters.push(resolve));
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      listeners.clear();
      await watcher?.cancel().catch(() => {});
      if (connection.owned) client.close();
    },
  };
}

/** Orders addresses by code unit, as `sort()` would: independent of the locale, and fast. */
function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where `address` is, or would be inserted, in `endpoints` (sorted by address). */
function searchByAddress(
  endpoints: readonly ServiceEndpoint[],
  address: string,
): { index: number; found: boolean } {
  let low = 0;
  let high = endpoints.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareAddresses(endpoints[middle]?.address ?? '', address) < 0) low = middle + 1;
    else high = middle;
  }
  return { index: low, found: endpoints[low]?.address === address };
}
