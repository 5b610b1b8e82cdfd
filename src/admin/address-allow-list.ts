import { BlockList, isIP } from 'node:net';
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';

/** Decides whether a peer address may call a state-changing admin endpoint. */
export interface AddressAllowList {
  /** True for loopback and for every listed address or range. */
  allows(remoteAddress: string | undefined): boolean;
  /** The entries as given, for logs. */
  readonly entries: readonly string[];
}

/**
 * Parses addresses and CIDRs (`10.1.2.3`, `10.244.0.0/16`, `fd00::/8`). The loopback addresses
 * `127.0.0.1` and `::1` are always allowed (an `exec` hook in the container calls from there);
 * the rest of 127.0.0.0/8 is not, since the drill gives pods addresses there. Returns an error
 * naming the first entry that is neither an address nor a CIDR.
 */
export function parseAddressAllowList(entries: readonly string[]): Result<AddressAllowList> {
  const list = new BlockList();
  list.addAddress('127.0.0.1', 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > maxBits))
    ) {
      return err(
        new LameduckError(
          'invalid_config',
          `admin: prestop allow-list entry '${entry}' is not an IP address or CIDR`,
        ),
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return ok({
    entries,
    allows(remoteAddress) {
      if (remoteAddress === undefined) return false;
      // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6 addresses.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
      const address = mapped?.[1] ?? remoteAddress;
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
    },
  });
}
