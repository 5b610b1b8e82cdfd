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
  /** Every key naming the address, with its record; usually one. */
  readonly records: Map<string, ServiceEndpoint>;
  /** The record of the key set last: the address's endpoint in the set. */
  endpoint: ServiceEndpoint;
}

/**
 * The instances of a service, one per address, kept from the keys that name them: an address
 * stays while any key names it (a re-registration under a new lease leaves two for a while).
 * Every operation costs O(1) (O(k) for the k keys of one address) and returns what changed, so
 * that a watch event costs each listener the change and not a copy of the set; the sorted
 * {@link EndpointSet.snapshot} is built on the first read after a change, and only then.
 */
export class EndpointSet {
  private readonly byAddress = new Map<string, AddressEntry>();
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
      [...this.byAddress.values()]
        .map((entry) => entry.endpoint)
        .sort((a, b) => compareAddresses(a.address, b.address)),
    );
    return this.sorted;
  }

  /** Sets `key` to `endpoint`: a key that named another address no longer names it. */
  put(key: string, endpoint: ServiceEndpoint): EndpointChange[] {
    const changes = this.addressByKey.get(key) === endpoint.address ? [] : this.deleteKey(key);
    this.addressByKey.set(key, endpoint.address);
    const entry = this.byAddress.get(endpoint.address);
    if (entry === undefined) {
      this.byAddress.set(endpoint.address, { records: new Map([[key, endpoint]]), endpoint });
      return this.changed(changes, { kind: 'added', endpoint });
    }
    // Delete first: the key set last goes last in the map, where deleteKey looks for a successor.
    entry.records.delete(key);
    entry.records.set(key, endpoint);
    return this.represent(entry, endpoint, changes);
  }

  /** Removes `key`; its address leaves with its last key. */
  deleteKey(key: string): EndpointChange[] {
    const address = this.addressByKey.get(key);
    const entry = address === undefined ? undefined : this.byAddress.get(address);
    if (address === undefined || entry === undefined) return [];
    this.addressByKey.delete(key);
    entry.records.delete(key);
    let successor: ServiceEndpoint | undefined;
    for (const record of entry.records.values()) successor = record;
    if (successor !== undefined) return this.represent(entry, successor, []);
    this.byAddress.delete(address);
    return this.changed([], { kind: 'removed', endpoint: entry.endpoint });
  }

  /** Removes `address`, whatever keys name it (etcd naming's `Op: 1`). */
  deleteAddress(address: string): EndpointChange[] {
    const entry = this.byAddress.get(address);
    if (entry === undefined) return [];
    for (const key of entry.records.keys()) this.addressByKey.delete(key);
    this.byAddress.delete(address);
    return this.changed([], { kind: 'removed', endpoint: entry.endpoint });
  }

  /** Replaces every key with `records` (a fresh read), returning the difference, in no order. */
  replaceAll(
    records: Iterable<readonly [key: string, endpoint: ServiceEndpoint]>,
  ): EndpointChange[] {
    const before = new Map(
      [...this.byAddress].map(([address, entry]) => [address, entry.endpoint] as const),
    );
    const snapshot = this.sorted;
    this.byAddress.clear();
    this.addressByKey.clear();
    for (const [key, endpoint] of records) this.put(key, endpoint);
    const changes: EndpointChange[] = [];
    for (const [address, entry] of this.byAddress) {
      const previous = before.get(address);
      before.delete(address);
      if (previous === undefined) changes.push({ kind: 'added', endpoint: entry.endpoint });
      else if (!isDeepStrictEqual(previous, entry.endpoint)) {
        changes.push({ kind: 'updated', endpoint: entry.endpoint, previous });
      }
    }
    for (const endpoint of before.values()) changes.push({ kind: 'removed', endpoint });
    // Nothing changed: the snapshot still holds, and keeps its identity.
    this.sorted = changes.length === 0 ? snapshot : undefined;
    return changes;
  }

  /** Makes `endpoint` the record of `entry`'s address; an `updated` change if it differs. */
  private represent(
    entry: AddressEntry,
    endpoint: ServiceEndpoint,
    changes: EndpointChange[],
  ): EndpointChange[] {
    const previous = entry.endpoint;
    entry.endpoint = endpoint;
    // The same record again (a re-registration): nothing to tell, and the snapshot holds.
    if (isDeepStrictEqual(previous, endpoint)) return changes;
    return this.changed(changes, { kind: 'updated', endpoint, previous });
  }

  /** Appends `change` and drops the cached snapshot. */
  private changed(changes: EndpointChange[], change?: EndpointChange): EndpointChange[] {
    if (change !== undefined) changes.push(change);
    this.sorted = undefined;
    return changes;
  }
}

/** Orders addresses by code unit, as `sort()` would: independent of the locale, and fast. */
function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
