import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddressAllowList } from './address-allow-list.js';

test('127.0.0.1 and ::1 are always allowed, others only when listed', () => {
  const parsed = parseAddressAllowList(['10.0.0.7', '10.244.0.0/16', 'fd00::/8']);
  assert.ok(parsed.ok);
  const list = parsed.value;
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

test('an entry that is not an address or CIDR is an invalid_config error naming it', () => {
  for (const entry of ['node-1', '10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', '10.0.0.0/x']) {
    const parsed = parseAddressAllowList([entry]);
    assert.equal(parsed.ok, false, entry);
    assert.equal(
      !parsed.ok && parsed.error.message,
      `[invalid_config] admin: prestop allow-list entry '${entry}' is not an IP address or CIDR`,
    );
  }
});
