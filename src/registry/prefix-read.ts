import { type Etcd3, GRPCResourceExhastedError, Range } from 'etcd3';
import { boundEtcdCall } from './etcd-client.js';

/** One key and its value, as read. */
export interface PrefixEntry {
  key: Buffer;
  value: Buffer;
}

/** What {@link readPrefix} found: every entry under the prefix at one revision. */
export interface PrefixSnapshot {
  /** The revision the pages were read at: watch from the one after it. */
  revision: string;
  entries: PrefixEntry[];
  /** Keys whose value alone is larger than a gRPC message may be: left out. */
  oversizedKeys: string[];
}

/** Options of {@link readPrefix}. */
export interface PrefixReadOptions {
  /** Bound on each page's call. */
  callTimeoutMs: number;
  /** Keys asked for in the first page. Default: 1000. */
  firstPageKeys?: number;
  /** Bytes a page aims at, below gRPC's 4 MiB receive limit. Default: 1 MiB. */
  pageTargetBytes?: number;
}

const defaultFirstPageKeys = 1000;
const defaultPageTargetBytes = 1024 * 1024;
const maxPageKeys = 10_000;
// A page that overflows the receive limit is asked again this many times smaller.
const shrinkFactor = 8;

/**
 * Reads every key under `prefix` in pages at one revision, so that a prefix holding more than a
 * gRPC message (a few large values, or thousands of instances) is read whole instead of failing
 * with RESOURCE_EXHAUSTED forever. Pages are sized from the bytes the last page took; a page
 * that still overflows is asked again smaller, down to one key, and a single value that alone
 * overflows is left out (its key is listed in `oversizedKeys`), so it cannot hide the others.
 */
export async function readPrefix(
  client: Etcd3,
  prefix: string,
  options: PrefixReadOptions,
): Promise<PrefixSnapshot> {
  const end = Range.prefix(prefix).end;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await readPages(client, prefix, end, options);
    } catch (error) {
      // The pinned revision was compacted away between two pages: read again from the start.
      if (attempt >= maxCompactedRestarts || !isCompactedError(error)) throw error;
    }
  }
}

const maxCompactedRestarts = 3;

function isCompactedError(error: unknown): boolean {
  return error instanceof Error && /required revision has been compacted/.test(error.message);
}

async function readPages(
  client: Etcd3,
  prefix: string,
  end: Buffer,
  options: PrefixReadOptions,
): Promise<PrefixSnapshot> {
  const { callTimeoutMs } = options;
  const pageTargetBytes = options.pageTargetBytes ?? defaultPageTargetBytes;
  const entries: PrefixEntry[] = [];
  const oversizedKeys: string[] = [];
  let revision: string | undefined;
  let from: Buffer = Buffer.from(prefix);
  let limit = options.firstPageKeys ?? defaultFirstPageKeys;
  const range = (pageLimit: number) => {
    const builder = client.getAll().inRange({ start: from, end }).limit(pageLimit);
    return revision === undefined ? builder : builder.revision(revision);
  };
  for (;;) {
    let page: Awaited<ReturnType<ReturnType<typeof range>['exec']>>;
    try {
      page = await boundEtcdCall(
        (call) => range(limit).options(call).exec(),
        callTimeoutMs,
        'read of the prefix',
      );
    } catch (error) {
      if (!(error instanceof GRPCResourceExhastedError)) throw error;
      if (limit > 1) {
        limit = Math.max(1, Math.floor(limit / shrinkFactor));
        continue;
      }
      // One value alone overflows: name it and step over it.
      const [key] = await boundEtcdCall(
        (call) => range(1).options(call).keyBuffers(),
        callTimeoutMs,
        'read of a key under the prefix',
      );
      if (key === undefined) throw error;
      oversizedKeys.push(key.toString());
      from = afterKey(key);
      continue;
    }
    revision ??= page.header.revision;
    let pageBytes = 0;
    for (const kv of page.kvs) {
      entries.push({ key: kv.key, value: kv.value });
      pageBytes += kv.key.length + kv.value.length;
    }
    const last = page.kvs.at(-1);
    if (!page.more || last === undefined) return { revision, entries, oversizedKeys };
    from = afterKey(last.key);
    const bytesPerKey = Math.max(1, pageBytes / page.kvs.length);
    limit = Math.min(maxPageKeys, Math.max(1, Math.floor(pageTargetBytes / bytesPerKey)));
  }
}

/** The smallest key after `key`. */
function afterKey(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}
