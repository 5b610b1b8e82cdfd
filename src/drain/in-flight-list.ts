/**
 * What a server has in flight (calls, requests, connections), in arrival order, added and removed
 * once each on the request path.
 *
 * Not a `Set`, for the garbage collector's sake: V8 replaces a Set's hash table as entries come
 * and go, and leaves each replaced table holding its old entries. Once a Set lives in the old
 * generation its tables do too, so a replaced table, garbage until the next full GC, still points
 * at every entry it held: each scavenge keeps those entries (a gRPC call, its stream, its buffers)
 * alive and promotes them. Under load every call churned through such a Set was promoted: the
 * heap grew 3 MB per scavenge and each scavenge took ten times as long. Here a removed entry lets
 * go of its value and its neighbours at once, so nothing dead points at anything young.
 */

/** An entry of an {@link InFlightList}; its handle for {@link InFlightList.remove}. */
export interface InFlightEntry<T> {
  /** The value, or `undefined` once removed. */
  readonly value: T | undefined;
}

class Entry<T> implements InFlightEntry<T> {
  older: Entry<T> | undefined = undefined;
  newer: Entry<T> | undefined = undefined;
  constructor(public value: T | undefined) {}
}

/** What readers of an {@link InFlightList} see: its size and its values, oldest first. */
export interface ReadonlyInFlightList<T> extends Iterable<T> {
  readonly size: number;
}

/** A list of things in flight: O(1) add and remove, iterated oldest first. */
export class InFlightList<T> implements ReadonlyInFlightList<T> {
  #oldest: Entry<T> | undefined = undefined;
  #newest: Entry<T> | undefined = undefined;
  #size = 0;

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value` as the newest entry; keep the handle to remove it. */
  add(value: T): InFlightEntry<T> {
    const entry = new Entry(value);
    const newest = this.#newest;
    if (newest === undefined) this.#oldest = entry;
    else {
      newest.newer = entry;
      entry.older = newest;
    }
    this.#newest = entry;
    this.#size += 1;
    return entry;
  }

  /** Removes `handle`'s entry; false (and nothing done) if it was already removed. */
  remove(handle: InFlightEntry<T>): boolean {
    const entry = handle as Entry<T>;
    if (entry.value === undefined) return false;
    const { older, newer } = entry;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    entry.older = undefined;
    entry.newer = undefined;
    entry.value = undefined;
    this.#size -= 1;
    return true;
  }

  /**
   * Each value, oldest first, as the list was when the iteration began: a removed entry lets go
   * of its neighbours, so a live iteration could not step past one.
   */
  [Symbol.iterator](): Iterator<T> {
    const values: T[] = [];
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) {
      values.push(entry.value as T);
    }
    return values[Symbol.iterator]();
  }
}
