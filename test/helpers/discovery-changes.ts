import { EventEmitter } from 'node:events';
import type { Etcd3, Watcher } from 'etcd3';
import type { EtcdDiscovery } from '../../src/registry/etcd-discovery.js';
import { TEST_TIMEOUT_MS } from './timeouts.js';

/** What a listener was told, one line per change: `added 10.0.0.1:80`, `removed ...`. */
export interface ChangeRecorder {
  /** Resolves with the next notification not yet taken, as lines. */
  next(): Promise<string[]>;
  /** Notifications not yet taken. */
  readonly pending: number;
}

/** Subscribes to `discovery` and keeps every notification for {@link ChangeRecorder.next}. */
export function recordChanges(discovery: EtcdDiscovery): ChangeRecorder {
  const queue: string[][] = [];
  let wake: (() => void) | undefined;
  discovery.subscribe((changes) => {
    queue.push(changes.map((c) => `${c.kind} ${c.endpoint.address}`).sort());
    wake?.();
  });
  return {
    get pending() {
      return queue.length;
    },
    async next() {
      if (queue.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no notification came')),
            TEST_TIMEOUT_MS,
          );
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      }
      return queue.shift() ?? [];
    },
  };
}

/** How many watches a client created and cancelled, and how many range reads it made. */
export interface ClientCalls {
  watchesCreated: number;
  watchesCancelled: number;
  reads: number;
}

/** Counts `client`'s watches and range reads, leaving them to work as before. */
export function countClientCalls(client: Etcd3): ClientCalls {
  const calls: ClientCalls = { watchesCreated: 0, watchesCancelled: 0, reads: 0 };
  const watch = client.watch.bind(client);
  client.watch = () => {
    const builder = watch();
    const create = builder.create.bind(builder);
    builder.create = async () => {
      const watcher = await create();
      calls.watchesCreated += 1;
      const cancel = watcher.cancel.bind(watcher);
      watcher.cancel = () => {
        calls.watchesCancelled += 1;
        return cancel();
      };
      return watcher;
    };
    return builder;
  };
  const getAll = client.getAll.bind(client);
  client.getAll = () => {
    calls.reads += 1;
    return getAll();
  };
  return calls;
}

/**
 * Makes `client`'s watches silent (etcd3 issues #72, #78: a watch that stops telling anything):
 * they never emit an event unless the test does, on the returned emitters.
 */
export function silenceWatches(client: Etcd3): EventEmitter[] {
  const watchers: EventEmitter[] = [];
  const builder = {
    prefix: () => builder,
    startRevision: () => builder,
    async create() {
      const watcher = Object.assign(new EventEmitter(), { cancel: async () => {} });
      watchers.push(watcher);
      return watcher as unknown as Watcher;
    },
  };
  client.watch = () => builder as unknown as ReturnType<Etcd3['watch']>;
  return watchers;
}
