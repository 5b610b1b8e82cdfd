import { isDeepStrictEqual } from 'node:util';
import type { ServiceEndpoint } from './formats.js';

/**
 * One change to a service's set of instances, as {@link EtcdDiscovery} listeners receive it.
 * `updated`: the address stays, its record (metadata) is another one.
 *
 * @see {@link EtcdDiscovery.subscribe}
 */
export type EndpointChange =
  | { readonly kind: 'added'; readonly endpoint: ServiceEndpoint }
  | {
      readonly kind: 'updated';
      readonly endpoint: ServiceEndpoint;
      readonly previous: ServiceEndpoint;
    }
  | { readonly kind: 'removed'; readonly endpoint: ServiceEndpoint };

/** The keys naming one address, and the record that stands for it. */
interface AddressEntry {
  /** The key set last: its record stands for the address. */
  key: string;
  endpoint: ServiceEndpoint;
  /**
   * The other keys naming the address, oldest first: made only when there are any (a
   * re-registration under a new lease, for a while), so that the usual entry is one object.
   */
  others?: Map<string, ServiceEndpoint>;
}

/**
 * The instances of a service, one per address, kept from the keys that name them: an address
 * stays while any key names it. Every operation costs O(1) (O(k) for the k keys of one address)
 * and returns what changed, so that a watch event costs each listener the change and not a copy
 * of the set; the sorted {@link EndpointSet.snapshot} is built on the first read after a change,
 * and only then.
 */
export class EndpointSet {
  private byAddress = new Map<string, AddressEntry>();
  private readonly addressByKey = new Map<string, string>();
  private sorted: readonly ServiceEndpoint[] | undefined = Object.freeze([]);

  /** How many addresses the set holds. */
  get size(): number {
    return this.byAddress.size;
  }

  /**
   * Every endpoint, sorted by address (code-unit order), frozen. The same array is returned
   * until the set changes, so a caller may compare identities to know whether it did.
   */
  snapshot(): readonly ServiceEndpoint[] {
    this.sorted ??= Object.freeze(
      Array.from(this.byAddress.values(), (entry) => entry.endpoint).sort((a, b) =>
        compareAddresses(a.address, b.address),
      ),
    );
    return this.sorted;
  }

  /** Sets `key` to `endpoint`: a key that named another address no longer names it. */
  put(key: string, endpoint: ServiceEndpoint): EndpointChange[] {
    const changes: EndpointChange[] = [];
    this.setKey(key, endpoint, changes);
    return changes;
  }

  /** Removes `key`; its address leaves with its last key. */
  deleteKey(key: string): EndpointChange[] {
    const changes: EndpointChange[] = [];
    this.unsetKey(key, changes);
    return changes;
  }

  /** Removes `address`, whatever keys name it (etcd naming's `Op: 1`). */
  deleteAddress(address: string): EndpointChange[] {
    const entry = this.byAddress.get(address);
    if (entry === undefined) return [];
    this.addressByKey.delete(entry.key);
    for (const key of entry.others?.keys() ?? []) this.addressByKey.delete(key);
    this.byAddress.delete(address);
    this.sorted = undefined;
    return [{ kind: 'removed', endpoint: entry.endpoint }];
  }

  /** Replaces every key with `records` (a fresh read), returning the difference, in no order. */
  replaceAll(
    records: Iterable<readonly [key: string, endpoint: ServiceEndpoint]>,
  ): EndpointChange[] {
    const before = this.byAddress;
    const snapshot = this.sorted;
    this.byAddress = new Map();
    this.addressByKey.clear();
    // Changes against the new, empty set mean nothing: the difference is taken below.
    const ignored: EndpointChange[] = [];
    for (const [key, endpoint] of records) this.setKey(key, endpoint, ignored);
    const changes: EndpointChange[] = [];
    for (const [address, entry] of this.byAddress) {
      const previous = before.get(address)?.endpoint;
      before.delete(address);
      if (previous === undefined) changes.push({ kind: 'added', endpoint: entry.endpoint });
      else if (!sameEndpoint(previous, entry.endpoint)) {
        changes.push({ kind: 'updated', endpoint: entry.endpoint, previous });
      }
    }
    for (const entry of before.values())
      changes.push({ kind: 'removed', endpoint: entry.endpoint });
    // Nothing changed: the snapshot still holds, and keeps its identity.
    this.sorted = changes.length === 0 ? snapshot : undefined;
    return changes;
  }

  private setKey(key: string, endpoint: ServiceEndpoint, changes: EndpointChange[]): void {
    const { address } = endpoint;
    const before = this.addressByKey.get(key);
    if (before !== address) {
      if (before !== undefined) this.unsetKey(key, changes);
      this.addressByKey.set(key, address);
    }
    const entry = this.byAddress.get(address);
    if (entry === undefined) {
      this.byAddress.set(address, { key, endpoint });
      this.sorted = undefined;
      changes.push({ kind: 'added', endpoint });
      return;
    }
    if (entry.key !== key) {
      // The record set last stands for the address; the one it replaces waits in `others`.
      entry.others ??= new Map();
      entry.others.delete(key);
      entry.others.set(entry.key, entry.endpoint);
      entry.key = key;
    }
    this.represent(entry, endpoint, changes);
  }

  private unsetKey(key: string, changes: EndpointChange[]): void {
    const address = this.addressByKey.get(key);
    const entry = address === undefined ? undefined : this.byAddress.get(address);
    if (address === undefined || entry === undefined) return;
    this.addressByKey.delete(key);
    if (entry.key !== key) {
      entry.others?.delete(key);
      return;
    }
    let successor: [string, ServiceEndpoint] | undefined;
    for (const other of entry.others ?? []) successor = other;
    if (successor === undefined) {
      this.byAddress.delete(address);
      this.sorted = undefined;
      changes.push({ kind: 'removed', endpoint: entry.endpoint });
      return;
    }
    entry.others?.delete(successor[0]);
    if (entry.others?.size === 0) delete entry.others;
    entry.key = successor[0];
    this.represent(entry, successor[1], changes);
  }

  /** Makes `endpoint` the record of `entry`'s address; an `updated` change if it differs. */
  private represent(
    entry: AddressEntry,
    endpoint: ServiceEndpoint,
    changes: EndpointChange[],
  ): void {
    const previous = entry.endpoint;
    entry.endpoint = endpoint;
    // The same record again (a re-registration): nothing to tell, and the snapshot holds.
    if (sameEndpoint(previous, endpoint)) return;
    this.sorted = undefined;
    changes.push({ kind: 'updated', endpoint, previous });
  }
}

/** Whether two records say the same; a scalar or absent metadata is compared without a walk. */
function sameEndpoint(a: ServiceEndpoint, b: ServiceEndpoint): boolean {
  return (
    a.address === b.address &&
    (a.metadata === b.metadata || isDeepStrictEqual(a.metadata, b.metadata))
  );
}

/** Orders addresses by code unit, as `sort()` would: independent of the locale, and fast. */
function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
