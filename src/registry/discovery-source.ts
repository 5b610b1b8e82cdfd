import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { LameduckError } from '../errors/lameduck-error.js';
import type { Logger } from '../log/logger.js';
import { type EndpointChange, EndpointSet } from './endpoint-set.js';
import { boundEtcdCall, etcdFailureReason } from './etcd-client.js';
import type { EtcdDiscoveryOptions } from './etcd-discovery.js';
import { registryCodec, type ServiceEndpoint } from './formats.js';
import { readPrefix } from './prefix-read.js';
import { resyncDelayMs } from './resync-delay.js';
import { createRetrySchedule } from './retry-schedule.js';

/** What one {@link createDiscoverySource} follows, and how: a discovery's options but its logger. */
export type DiscoverySourceSettings = Omit<EtcdDiscoveryOptions, 'logger'> & {
  client: Etcd3;
  /** Whether the source made `client`, and closes it when it stops. */
  ownsClient: boolean;
};

/**
 * The read, the watch and the decoded set behind one or more discoveries of a service (see
 * `etcd-discovery.ts`, which shares one among the discoveries of a process). Its events go to
 * every logger attached, once each.
 */
export interface DiscoverySource {
  readonly set: EndpointSet;
  readonly loaded: boolean;
  /** Called with each change, in the order etcd made them. */
  readonly listeners: Set<(changes: readonly EndpointChange[]) => void>;
  whenLoaded(): Promise<void>;
  /** Attaches a logger (counted: attached twice, it must be detached twice). */
  attachLogger(logger: Logger): void;
  detachLogger(logger: Logger): void;
  /** Stops reading and watching; closes the client if the source owns it. */
  stop(): Promise<void>;
}

/**
 * Follows a service's instances in etcd: one consistent read of the prefix, then a watch from
 * the revision after it. A value that cannot be read is skipped with a warning. While etcd is
 * unreachable the last known set stays; when the watch reconnects, and every `resyncIntervalMs`,
 * the prefix is read again and the difference told, so a change missed meanwhile is not missed
 * for long. Starts reading at once.
 */
export function createDiscoverySource(settings: DiscoverySourceSettings): DiscoverySource {
  const { client, service, format, callTimeoutMs, resyncIntervalMs } = settings;
  const codec = registryCodec(format);
  const prefix = codec.prefix(service);
  const set = new EndpointSet();
  const listeners = new Set<(changes: readonly EndpointChange[]) => void>();
  const loggers = new Map<Logger, number>();
  let loaded = false;
  let loadedWaiters: Array<() => void> = [];
  // Set when the watch is asked for, so that stop() can wait for one still being made and cancel
  // it: left attached to a client the caller then closes, it would reconnect forever.
  let watcher: Promise<Watcher> | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let loading = false;
  // The revision of the newest watch event applied: a read older than it would undo that event.
  let watchedRevision = 0n;

  const retries = createRetrySchedule({
    initialDelayMs: settings.retryDelayMs,
    maxDelayMs: settings.maxRetryDelayMs,
  });
  const log = (
    level: 'debug' | 'info' | 'warn',
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ) => {
    for (const logger of loggers.keys())
      logger[level]({ event, service, format, ...fields }, message);
  };

  const notify = (changes: readonly EndpointChange[]): void => {
    if (changes.length === 0) return;
    // One frozen array for every listener: none can alter what the next one sees.
    Object.freeze(changes);
    for (const listener of listeners) listener(changes);
  };

  const skipped = (key: string, reason: string): void =>
    log(
      'warn',
      'registry-record-skipped',
      `skipped the etcd record ${key} of '${service}', which callers cannot use: ${reason}`,
      { key, error: reason },
    );

  /** What one watched put or delete changes. */
  const changesOf = (kv: IKeyValue, deleted: boolean): EndpointChange[] => {
    const key = kv.key.toString();
    if (deleted) return set.deleteKey(key);
    const decoded = codec.decode(key, kv.value.toString());
    if (!decoded.ok) {
      skipped(key, decoded.error.rawMessage);
      return set.deleteKey(key);
    }
    const record = decoded.value;
    if (record.op === 'add') return set.put(key, record.endpoint);
    // etcd naming's `Op: 1` deletes the address, whatever key named it.
    return [...set.deleteKey(key), ...set.deleteAddress(record.address)];
  };
  const applyEvent = (kv: IKeyValue, deleted: boolean): void => {
    const revision = BigInt(kv.mod_revision ?? 0);
    if (revision > watchedRevision) watchedRevision = revision;
    notify(changesOf(kv, deleted));
  };

  /** The records of a read that name an instance. */
  function* instancesOf(
    entries: readonly { key: Buffer; value: Buffer }[],
  ): Generator<[string, ServiceEndpoint]> {
    for (const entry of entries) {
      const key = entry.key.toString();
      const decoded = codec.decode(key, entry.value.toString());
      if (!decoded.ok) skipped(key, decoded.error.rawMessage);
      else if (decoded.value.op === 'add') yield [key, decoded.value.endpoint];
    }
  }

  const watchFrom = async (revision: string): Promise<void> => {
    if (watcher !== undefined || stopped) return;
    const creation = client.watch().prefix(prefix).startRevision(revision).create();
    watcher = creation;
    let created: Watcher;
    try {
      created = await creation;
    } catch (error) {
      watcher = undefined;
      throw error;
    }
    if (stopped) return;
    let disconnected = false;
    created.on('put', (kv) => applyEvent(kv, false));
    created.on('delete', (kv) => applyEvent(kv, true));
    created.on('disconnected', (error) => {
      if (!disconnected) {
        log(
          'warn',
          'discovery-watch-disconnected',
          `lost the etcd watch of '${service}' (${error.message}): keeping the ${set.size} known instances until it reconnects`,
          { error: error.message, keptInstances: set.size },
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

  const markLoaded = (afterFailures: string, failures: object): void => {
    loaded = true;
    log(
      'info',
      'discovery-loaded',
      `read ${set.size} instances of '${service}' from etcd${afterFailures}; following their changes`,
      { instances: set.size, ...failures },
    );
    const waiters = loadedWaiters;
    loadedWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const load = async (): Promise<void> => {
    if (stopped || loading) return;
    loading = true;
    clearTimeout(retryTimer);
    try {
      const snapshot = await readPrefix(client, prefix, { callTimeoutMs });
      if (stopped) return;
      for (const key of snapshot.oversizedKeys) {
        skipped(key, 'its value is larger than a gRPC message may be');
      }
      // The watch already told of a later revision than this read's: it is alive and ahead.
      if (BigInt(snapshot.revision) >= watchedRevision) {
        notify(set.replaceAll(instancesOf(snapshot.entries)));
      }
      const recovered = retries.succeeded();
      const { text: afterFailures = '', ...failures } = recovered ?? {};
      if (!loaded) markLoaded(afterFailures, failures);
      else if (recovered !== undefined) {
        log(
          'info',
          'discovery-read-recovered',
          `read the instances of '${service}' from etcd again${afterFailures}`,
          { instances: set.size, ...failures },
        );
      }
      await watchFrom(String(BigInt(snapshot.revision) + 1n));
      if (stopped) return;
      retryTimer = setTimeout(() => void load(), resyncDelayMs(resyncIntervalMs, Math.random));
    } catch (error) {
      if (stopped) return;
      const retry = retries.failed({
        attempt: `read the instances of '${service}' from etcd`,
        reason: etcdFailureReason(error),
        meanwhile: `keeping the ${set.size} known instances`,
      });
      log(retry.level, 'discovery-read-failed', retry.message, {
        error: LameduckError.from(error).message,
        keptInstances: set.size,
        ...retry.fields,
      });
      retryTimer = setTimeout(() => void load(), retry.delayMs);
    } finally {
      loading = false;
    }
  };
  void load();

  return {
    set,
    listeners,
    get loaded() {
      return loaded;
    },
    whenLoaded() {
      if (loaded) return Promise.resolve();
      return new Promise<void>((resolve) => loadedWaiters.push(resolve));
    },
    attachLogger(logger) {
      loggers.set(logger, (loggers.get(logger) ?? 0) + 1);
    },
    detachLogger(logger) {
      const count = (loggers.get(logger) ?? 1) - 1;
      if (count > 0) loggers.set(logger, count);
      else loggers.delete(logger);
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      listeners.clear();
      // Bounded: etcd3 waits for the cancel's answer, which never comes once the client is
      // closed or etcd is gone.
      const pending = watcher;
      if (pending !== undefined) {
        await boundEtcdCall(
          async () => (await pending).cancel(),
          callTimeoutMs,
          'cancel of the watch',
        ).catch(() => {});
      }
      if (settings.ownsClient) client.close();
    },
  };
}
