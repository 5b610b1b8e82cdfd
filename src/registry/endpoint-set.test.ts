import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EndpointChange, EndpointSet } from './endpoint-set.js';

const a = { address: '10.0.0.1:80' };
const b = { address: '10.0.0.2:80' };
const addresses = (set: EndpointSet) => set.snapshot().map((e) => e.address);

test('put tells an address added once, and a record written again unchanged not at all', () => {
  const set = new EndpointSet();
  assert.deepEqual(set.put('k1', a), [{ kind: 'added', endpoint: a }]);
  assert.deepEqual(set.put('k1', { ...a }), []);
  assert.deepEqual(set.put('k2', b), [{ kind: 'added', endpoint: b }]);
  assert.deepEqual(addresses(set), ['10.0.0.1:80', '10.0.0.2:80']);
});

test('a record with other metadata at the same address is updated, with the previous one', () => {
  const set = new EndpointSet();
  set.put('k1', a);
  const tagged = { ...a, metadata: { zone: 'z1' } };
  assert.deepEqual(set.put('k1', tagged), [{ kind: 'updated', endpoint: tagged, previous: a }]);
  assert.equal(set.snapshot()[0], tagged);
});

test('an address named by two keys leaves with its last key; the other key then stands for it', () => {
  const set = new EndpointSet();
  const older = { ...a, metadata: 'old lease' };
  set.put('lease-1', older);
  assert.deepEqual(set.put('lease-2', a), [{ kind: 'updated', endpoint: a, previous: older }]);
  assert.deepEqual(set.deleteKey('lease-2'), [{ kind: 'updated', endpoint: older, previous: a }]);
  assert.deepEqual(set.deleteKey('lease-1'), [{ kind: 'removed', endpoint: older }]);
  assert.deepEqual(set.deleteKey('lease-1'), []);
  assert.equal(set.size, 0);
});

test('deleting a key that does not stand for its address changes nothing', () => {
  const set = new EndpointSet();
  set.put('lease-1', a);
  set.put('lease-2', a);
  const before = set.snapshot();
  assert.deepEqual(set.deleteKey('lease-1'), []);
  assert.equal(set.snapshot(), before);
});

test('a key that moves to another address removes the old one and adds the new one', () => {
  const set = new EndpointSet();
  set.put('k1', a);
  assert.deepEqual(set.put('k1', b), [
    { kind: 'removed', endpoint: a },
    { kind: 'added', endpoint: b },
  ]);
  assert.deepEqual(addresses(set), ['10.0.0.2:80']);
  assert.deepEqual(set.deleteKey('k1'), [{ kind: 'removed', endpoint: b }]);
});

test('deleteAddress removes the address whatever keys name it', () => {
  const set = new EndpointSet();
  set.put('k1', a);
  set.put('k2', a);
  set.put('k3', b);
  assert.deepEqual(set.deleteAddress('10.0.0.1:80'), [{ kind: 'removed', endpoint: a }]);
  assert.deepEqual(set.deleteKey('k1'), []);
  assert.deepEqual(set.deleteAddress('10.0.0.1:80'), []);
  assert.deepEqual(addresses(set), ['10.0.0.2:80']);
});

test('the snapshot is sorted by code unit, frozen, and the same array until the set changes', () => {
  const set = new EndpointSet();
  set.put('k9', { address: '10.0.0.9:80' });
  set.put('k10', { address: '10.0.0.10:80' });
  const first = set.snapshot();
  assert.deepEqual(
    first.map((e) => e.address),
    ['10.0.0.10:80', '10.0.0.9:80'],
  );
  assert.ok(Object.isFrozen(first));
  set.put('k9', { address: '10.0.0.9:80' });
  set.deleteKey('unknown');
  assert.equal(set.snapshot(), first);
  set.deleteKey('k9');
  assert.notEqual(set.snapshot(), first);
  assert.deepEqual(first.length, 2, 'a snapshot handed out is never altered');
});

test('replaceAll tells the difference from the set before, and nothing when there is none', () => {
  const set = new EndpointSet();
  const c = { address: '10.0.0.3:80' };
  set.put('ka', a);
  set.put('kb', b);
  const before = set.snapshot();
  assert.deepEqual(
    set.replaceAll([
      ['kb', b],
      ['ka', { ...a }],
    ]),
    [],
  );
  assert.equal(set.snapshot(), before);
  const tagged = { ...b, metadata: 1 };
  const changes = set.replaceAll([
    ['kb', tagged],
    ['kc', c],
    ['kc2', c],
  ]);
  const byKind = (kind: EndpointChange['kind']) => changes.filter((ch) => ch.kind === kind);
  assert.deepEqual(byKind('added'), [{ kind: 'added', endpoint: c }]);
  assert.deepEqual(byKind('updated'), [{ kind: 'updated', endpoint: tagged, previous: b }]);
  assert.deepEqual(byKind('removed'), [{ kind: 'removed', endpoint: a }]);
  assert.deepEqual(addresses(set), ['10.0.0.2:80', '10.0.0.3:80']);
  // Both keys of c were kept: c stays until the second one goes.
  assert.deepEqual(set.deleteKey('kc'), []);
  assert.deepEqual(set.deleteKey('kc2'), [{ kind: 'removed', endpoint: c }]);
});
