import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { type AllowListSetting, parseAddressAllowList } from './address-allow-list.js';

const allowOf = (entries: readonly string[], setting = 'LAMEDUCK_PRESTOP_ALLOW') => {
  const parsed = parseAddressAllowList([{ setting, entries }]);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
  return parsed.value;
};
const errorOf = (settings: readonly AllowListSetting[]) => {
  const parsed = parseAddressAllowList(settings);
  return parsed.ok ? undefined : parsed.error;
};

test('127.0.0.1 and ::1 are always allowed, others only when listed', () => {
  const list = allowOf(['10.0.0.7', '10.244.0.0/16', 'fd00::/8']);
  for (const allowed of [
    '127.0.0.1',
    '::1',
    '::ffff:127.0.0.1',
    '10.0.0.7',
    '::ffff:10.244.9.9',
    'fd00::1',
  ]) {
    assert.equal(list.allows(allowed), true, allowed);
  }
  for (const refused of [
    '127.0.0.2',
    '127.3.4.5',
    '10.0.0.8',
    '192.168.1.1',
    '::ffff:10.245.0.1',
    'fe80::1',
    undefined,
    'garbage',
  ]) {
    assert.equal(list.allows(refused), false, String(refused));
  }
});

test('an entry that is not an address or CIDR is invalid_config naming the entry and the setting', () => {
  for (const entry of ['node-1', '10.0.0.0/8/1', 'fe80::1%eth0', '', '/8']) {
    const error = errorOf([{ setting: 'LAMEDUCK_PRESTOP_ALLOW', entries: [entry] }]);
    assert.equal(error?.code, 'invalid_config', entry);
    assert.equal(
      error?.rawMessage,
      `admin: LAMEDUCK_PRESTOP_ALLOW entry '${entry}' is not an IP address or CIDR (such as 10.244.0.0/16 or fd00::/8)`,
    );
  }
});

test('a prefix length is decimal digits within the family: a trailing / or /08, /0x10, /1e1 is refused', () => {
  // `Number('')` is 0: '10.244.0.0/' used to be a /0 that let every address in (issue 12, item 1).
  const cases: Array<[string, string, number]> = [
    ['10.244.0.0/', '', 32],
    ['fd00::/', '', 128],
    ['10.0.0.0/ 8', ' 8', 32],
    ['10.0.0.0/8 ', '8 ', 32],
    ['10.0.0.0/08', '08', 32],
    ['10.0.0.0/0x10', '0x10', 32],
    ['10.0.0.0/1e1', '1e1', 32],
    ['10.0.0.0/-0', '-0', 32],
    ['10.0.0.0/+8', '+8', 32],
    ['10.0.0.0/8.0', '8.0', 32],
    ['10.0.0.0/x', 'x', 32],
    ['10.0.0.0/33', '33', 32],
    ['fd00::/129', '129', 128],
    ['::ffff:10.0.0.0/200', '200', 128],
  ];
  for (const [entry, prefix, maxBits] of cases) {
    for (const setting of ['LAMEDUCK_PRESTOP_ALLOW', 'admin.prestopAllow']) {
      assert.equal(
        errorOf([{ setting, entries: ['10.1.2.3', entry] }])?.message,
        `[invalid_config] admin: ${setting} entry '${entry}' has the prefix length '${prefix}': it must be a decimal number from 0 to ${maxBits}, without sign, spaces or leading zeros`,
      );
    }
  }
});

test('HOST_IP must be one address: a range, even a /32 or /-0, is refused naming HOST_IP', () => {
  // '10.0.0.1/-0' used to abort the process in BlockList.addSubnet (issue 12, item 2).
  for (const hostIp of [
    '127.0.0.0/8',
    '::ffff:0:0/96',
    '10.0.0.1/32',
    '10.0.0.1/-0',
    '10.9.9.9/',
  ]) {
    assert.equal(
      errorOf([
        { setting: 'HOST_IP', entries: [hostIp], addressesOnly: true },
        { setting: 'LAMEDUCK_PRESTOP_ALLOW', entries: ['10.0.0.0/8'] },
      ])?.message,
      `[invalid_config] admin: HOST_IP '${hostIp}' is a range: it must be the node's one address, as the downward API's status.hostIP gives it`,
    );
  }
  assert.match(
    errorOf([{ setting: 'HOST_IP', entries: ['node-1'], addressesOnly: true }])?.message ?? '',
    /admin: HOST_IP 'node-1' is not an IP address/,
  );
  const list = parseAddressAllowList([
    { setting: 'HOST_IP', entries: ['10.0.0.5'], addressesOnly: true },
  ]);
  assert.ok(list.ok && list.value.allows('::ffff:10.0.0.5') && !list.value.allows('10.0.0.6'));
});

test('IPv4-mapped callers are their IPv4 address; an IPv6 range admits them only as ::ffff:a.b.c.d/96+', () => {
  // A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d, an IPv4 one as a.b.c.d: the
  // same caller, so both forms meet the same entries.
  const v4 = allowOf(['10.0.0.0/8']);
  for (const caller of [
    '10.9.9.9',
    '::ffff:10.9.9.9',
    '::ffff:a09:909',
    '0:0:0:0:0:ffff:10.9.9.9',
  ]) {
    assert.equal(v4.allows(caller), true, caller);
  }
  // A range written in the IPv4-mapped block (prefix 96 and more) is the IPv4 range it maps.
  const mapped = allowOf(['::ffff:10.0.0.0/104']);
  for (const caller of ['10.9.9.9', '::ffff:10.9.9.9']) assert.equal(mapped.allows(caller), true);
  for (const caller of ['11.0.0.1', '::ffff:11.0.0.1']) assert.equal(mapped.allows(caller), false);
  // Any other IPv6 range never admits an IPv4 caller, even one that contains ::ffff:0:0/96.
  for (const entry of ['::/0', '::/1', '::/64', '::ffff:0:0/95', 'fd00::/8']) {
    const list = allowOf([entry]);
    for (const caller of ['10.9.9.9', '::ffff:10.9.9.9', '192.168.0.1']) {
      assert.equal(list.allows(caller), false, `${entry} vs ${caller}`);
    }
  }
  assert.equal(allowOf(['::/0']).allows('fd00::1'), true);
  // And an IPv4 range never admits an IPv6 caller.
  assert.equal(allowOf(['0.0.0.0/0']).allows('fd00::1'), false);
  assert.equal(allowOf(['0.0.0.0/0']).allows('::a09:909'), false, 'IPv4-compatible is IPv6');
});

// --- Properties, against Node's BlockList as the reference ---------------------------------

const ipv4Text = (value: number): string =>
  [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
const ipv6Full = (value: bigint): string =>
  Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  ).join(':');
// The WHATWG URL parser writes IPv6 in its shortest form (`fd00::1`), a second spelling to test.
const ipv6Short = (value: bigint): string =>
  new URL(`http://[${ipv6Full(value)}]`).hostname.slice(1, -1);
const isMappedV6 = (value: bigint): boolean => value >> 32n === 0xffffn;
const mappedBlock = new BlockList();
mappedBlock.addSubnet('::ffff:0:0', 96, 'ipv6');

/** A reference verdict: BlockList with one rule and the loopback addresses, always allowed. */
function reference(
  rule: [string, number, 'ipv4' | 'ipv6'],
  caller: string,
  family: 'ipv4' | 'ipv6',
) {
  const list = new BlockList();
  list.addSubnet(...rule);
  list.addAddress('127.0.0.1', 'ipv4');
  list.addAddress('::1', 'ipv6');
  return list.check(caller, family);
}

const uint32 = fc.nat({ max: 0xffff_ffff });
const uint128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

test('property: the prefix length is accepted exactly when it is 0..max in plain decimal', () => {
  const prefixText = fc.oneof(
    fc.integer({ min: -3, max: 140 }).map(String),
    fc.integer({ min: 0, max: 140 }).map((n) => `0${n}`),
    fc.integer({ min: 0, max: 140 }).map((n) => `0x${n.toString(16)}`),
    fc.integer({ min: 0, max: 140 }).map((n) => `+${n}`),
    fc.integer({ min: 0, max: 140 }).map((n) => ` ${n}`),
    fc.constantFrom('', ' ', '1e1', '8.0', '.5', 'Infinity', 'NaN', '٣', '３２', '0b11'),
    fc.string({ unit: 'binary-ascii', maxLength: 4 }),
  );
  const address = fc.oneof(
    fc.ipV4().map((text) => ({ text, maxBits: 32 })),
    fc.ipV6().map((text) => ({ text, maxBits: 128 })),
  );
  fc.assert(
    fc.property(address, prefixText, ({ text, maxBits }, prefix) => {
      fc.pre(isIP(text) !== 0 && !prefix.includes('/'));
      const valid = /^(?:0|[1-9][0-9]*)$/.test(prefix) && Number(prefix) <= maxBits;
      const parsed = parseAddressAllowList([
        { setting: 'LAMEDUCK_PRESTOP_ALLOW', entries: [`${text}/${prefix}`] },
      ]);
      assert.equal(parsed.ok, valid, `${text}/${prefix}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: IPv4 ranges match IPv4 callers, plain or IPv4-mapped, as BlockList does', () => {
  // Callers near the network (a few low bits flipped) so that both verdicts occur often.
  const caseArb = fc.record({
    network: uint32,
    prefixBits: fc.integer({ min: 0, max: 32 }),
    flipBits: fc.integer({ min: 0, max: 32 }),
    mask: uint32,
  });
  fc.assert(
    fc.property(caseArb, ({ network, prefixBits, flipBits, mask }) => {
      const entry = `${ipv4Text(network)}/${prefixBits}`;
      const caller = ipv4Text((network ^ (mask & (2 ** flipBits - 1))) >>> 0);
      const expected = reference([ipv4Text(network), prefixBits, 'ipv4'], caller, 'ipv4');
      const list = allowOf([entry]);
      assert.equal(list.allows(caller), expected, `${entry} vs ${caller}`);
      assert.equal(list.allows(`::ffff:${caller}`), expected, `${entry} vs ::ffff:${caller}`);
      // The same range written in the IPv4-mapped block.
      const asMapped = allowOf([`::ffff:${ipv4Text(network)}/${prefixBits + 96}`]);
      assert.equal(asMapped.allows(caller), expected, `mapped ${entry} vs ${caller}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: IPv6 ranges match IPv6 callers as BlockList does, in any spelling', () => {
  const caseArb = fc.record({
    network: uint128,
    prefixBits: fc.integer({ min: 0, max: 128 }),
    flipBits: fc.integer({ min: 0, max: 128 }),
    mask: uint128,
    short: fc.boolean(),
  });
  fc.assert(
    fc.property(caseArb, ({ network, prefixBits, flipBits, mask, short }) => {
      const callerValue = network ^ (mask & ((1n << BigInt(flipBits)) - 1n));
      // IPv4-mapped callers are IPv4 ones (see the property above), where BlockList differs.
      fc.pre(!isMappedV6(callerValue) && !(isMappedV6(network) && prefixBits >= 96));
      const spell = short ? ipv6Short : ipv6Full;
      const entry = `${spell(network)}/${prefixBits}`;
      const caller = spell(callerValue);
      const expected = reference(
        [ipv6Full(network), prefixBits, 'ipv6'],
        ipv6Short(callerValue),
        'ipv6',
      );
      assert.equal(allowOf([entry]).allows(caller), expected, `${entry} vs ${caller}`);
    }),
    { numRuns: 2000 },
  );
  // Textual variety (embedded IPv4, zero runs) from fast-check's own generator.
  fc.assert(
    fc.property(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 16 }), (network, caller, bits) => {
      fc.pre(isIP(network) === 6 && isIP(caller) === 6 && !mappedBlock.check(caller, 'ipv6'));
      assert.equal(
        allowOf([`${network}/${bits}`]).allows(caller),
        reference([network, bits, 'ipv6'], caller, 'ipv6'),
        `${network}/${bits} vs ${caller}`,
      );
    }),
    { numRuns: 1000 },
  );
});

test('property: an IPv6 range outside the IPv4-mapped block never admits an IPv4 caller', () => {
  fc.assert(
    fc.property(uint128, fc.integer({ min: 0, max: 128 }), uint32, (network, bits, caller) => {
      fc.pre(!(isMappedV6(network) && bits >= 96));
      const list = allowOf([`${ipv6Full(network)}/${bits}`]);
      const loopback = ipv4Text(caller) === '127.0.0.1';
      assert.equal(list.allows(ipv4Text(caller)), loopback);
      assert.equal(list.allows(`::ffff:${ipv4Text(caller)}`), loopback);
    }),
    { numRuns: 2000 },
  );
});
