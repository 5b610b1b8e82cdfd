import { isIP } from 'node:net';
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';

/** Decides whether a peer address may call a state-changing admin endpoint. */
export interface AddressAllowList {
  /** True for loopback and for every listed address or range. */
  allows(remoteAddress: string | undefined): boolean;
  /** The entries as given, for logs. */
  readonly entries: readonly string[];
}

/** Allow-list entries and the setting they were read from, which errors name. */
export interface AllowListSetting {
  /** The env variable or option: `HOST_IP`, `LAMEDUCK_PRESTOP_ALLOW`, `admin.prestopAllow`. */
  setting: string;
  /** Addresses (`10.1.2.3`) and CIDRs (`10.244.0.0/16`), already split and trimmed. */
  entries: readonly string[];
  /** Refuse ranges: `HOST_IP` comes from the downward API, which gives one address. */
  addressesOnly?: boolean;
}

/** An address as a number, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned into its IPv4 address. */
interface Address {
  family: 4 | 6;
  value: bigint;
}

/** The addresses whose first `prefixBits` bits are those of `network`. */
interface Range extends Address {
  prefixBits: number;
}

const familyBits = { 4: 32, 6: 128 } as const;
// ::ffff:0:0/96 holds the IPv4-mapped addresses: the last 32 bits are the IPv4 address.
const mappedPrefixBits = 96;
const mappedTag = 0xffffn;
const decimalPrefix = /^(?:0|[1-9][0-9]*)$/;
const loopback: readonly Range[] = [
  { family: 4, value: 0x7f00_0001n, prefixBits: 32 },
  { family: 6, value: 1n, prefixBits: 128 },
];

/**
 * Parses allow-list entries: addresses and CIDRs (`10.1.2.3`, `10.244.0.0/16`, `fd00::/8`). The
 * loopback addresses `127.0.0.1` and `::1` are always allowed (an `exec` hook in the container
 * calls from there); the rest of 127.0.0.0/8 is not, since the drill gives pods addresses there.
 *
 * A prefix length is decimal digits from 0 to the family's width (32 or 128), without sign,
 * spaces or leading zeros: an empty one (`10.0.0.0/`) is an error, not the /0 that `Number('')`
 * would make of it. An IPv4-mapped address (`::ffff:10.1.2.3`) is its IPv4 address, as a caller
 * and as an entry: a dual-stack listener reports IPv4 peers in that form and an IPv4 one does not,
 * and the same caller must meet the same entries. So `::ffff:10.0.0.0/104` is `10.0.0.0/8`, and
 * `::ffff:0:0/96` all of IPv4; any other IPv6 range (even `::/0`) never admits an IPv4 caller,
 * nor an IPv4 range an IPv6 one. Zone indexes (`fe80::1%eth0`) are not addresses here.
 *
 * Returns an `invalid_config` error naming the first bad entry and its setting.
 */
export function parseAddressAllowList(
  settings: readonly AllowListSetting[],
): Result<AddressAllowList> {
  const ranges = [...loopback];
  for (const { setting, entries, addressesOnly = false } of settings) {
    for (const entry of entries) {
      const range = parseEntry(entry, addressesOnly);
      if (!range.ok) {
        const what = addressesOnly ? `${setting} '${entry}'` : `${setting} entry '${entry}'`;
        return err(new LameduckError('invalid_config', `admin: ${what} ${range.error}`));
      }
      ranges.push(range.value);
    }
  }
  return ok({
    entries: settings.flatMap((s) => s.entries),
    allows(remoteAddress) {
      const address = remoteAddress === undefined ? undefined : parseAddress(remoteAddress);
      return address !== undefined && ranges.some((range) => inRange(address, range));
    },
  });
}

/** One entry as a range; the error says what is wrong with it, after the entry's name. */
function parseEntry(entry: string, addressesOnly: boolean): Result<Range, string> {
  const slash = entry.indexOf('/');
  const address = parseAddress(slash === -1 ? entry : entry.slice(0, slash));
  if (address === undefined || entry.indexOf('/', slash + 1) !== -1) {
    return err(
      addressesOnly
        ? 'is not an IP address'
        : 'is not an IP address or CIDR (such as 10.244.0.0/16 or fd00::/8)',
    );
  }
  if (slash === -1) return ok({ ...address, prefixBits: familyBits[address.family] });
  if (addressesOnly) {
    return err(
      "is a range: it must be the node's one address, as the downward API's status.hostIP gives it",
    );
  }
  const prefix = entry.slice(slash + 1);
  // The prefix is read against the address as written: ::ffff:10.0.0.0 takes 96 to 128.
  const writtenFamily = isIP(entry.slice(0, slash)) as 4 | 6;
  const maxBits = familyBits[writtenFamily];
  const bits = decimalPrefix.test(prefix) ? Number(prefix) : Number.NaN;
  if (!(bits <= maxBits)) {
    return err(
      `has the prefix length '${prefix}': it must be a decimal number from 0 to ${maxBits}, without sign, spaces or leading zeros`,
    );
  }
  if (writtenFamily === 6 && address.family === 4) {
    // An IPv6 range in the mapped block is an IPv4 range; a wider one stays IPv6 and so never
    // admits IPv4 callers.
    if (bits >= mappedPrefixBits) return ok({ ...address, prefixBits: bits - mappedPrefixBits });
    return ok({ family: 6, value: (mappedTag << 32n) | address.value, prefixBits: bits });
  }
  return ok({ ...address, prefixBits: bits });
}

/** An IP address as a number; `undefined` for anything else (names, zone indexes, CIDRs). */
function parseAddress(text: string): Address | undefined {
  switch (isIP(text)) {
    case 4:
      return { family: 4, value: ipv4Value(text) };
    case 6: {
      if (text.includes('%')) return undefined;
      const value = ipv6Value(text);
      return value >> 32n === mappedTag
        ? { family: 4, value: value & 0xffff_ffffn }
        : { family: 6, value };
    }
    default:
      return undefined;
  }
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

/** The value of an IPv6 address `isIP` accepted: groups, one `::`, maybe a dotted IPv4 tail. */
function ipv6Value(text: string): bigint {
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const v4 = tail.includes('.') ? ipv4Value(tail) : undefined;
  const hex =
    v4 === undefined
      ? text
      : `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  const [head = '', rest] = hex.split('::');
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groupsOf(head);
  const right = groupsOf(rest);
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].reduce(
    (value, group) => (value << 16n) | BigInt(`0x${group}`),
    0n,
  );
}

function inRange(address: Address, range: Range): boolean {
  if (address.family !== range.family) return false;
  const hostBits = BigInt(familyBits[range.family] - range.prefixBits);
  return address.value >> hostBits === range.value >> hostBits;
}
