import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightList } from './in-flight-list.js';

test('entries come out oldest first, whichever were removed from the middle or the ends', () => {
  const list = new InFlightList<string>();
  const handles = ['a', 'b', 'c', 'd', 'e'].map((value) => list.add(value));
  assert.equal(list.size, 5);
  const [a, b, c, d, e] = handles;
  assert.ok(a && b && c && d && e);
  assert.equal(list.remove(c), true);
  assert.deepEqual([...list], ['a', 'b', 'd', 'e']);
  assert.equal(list.remove(a), true);
  assert.equal(list.remove(e), true);
  assert.deepEqual([...list], ['b', 'd']);
  list.add('f');
  assert.deepEqual([...list], ['b', 'd', 'f']);
  assert.equal(list.size, 3);
});

test('a removed entry is removed once and lets go of its value', () => {
  const list = new InFlightList<{ id: number }>();
  const handle = list.add({ id: 1 });
  assert.deepEqual(handle.value, { id: 1 });
  assert.equal(list.remove(handle), true);
  assert.equal(list.remove(handle), false);
  assert.equal(handle.value, undefined);
  assert.equal(list.size, 0);
  assert.deepEqual([...list], []);
  // Empty again: the next entry is both the oldest and the newest.
  const next = list.add({ id: 2 });
  assert.deepEqual([...list], [{ id: 2 }]);
  assert.equal(list.remove(next), true);
  assert.equal(list.size, 0);
});

test('iteration sees the list as it was when it began, removals during it included', () => {
  const list = new InFlightList<number>();
  const handles = [1, 2, 3, 4].map((value) => list.add(value));
  const seen: number[] = [];
  for (const value of list) {
    seen.push(value);
    // Removing the current and the next entry does not cut the iteration short.
    for (const handle of handles.slice(value - 1, value + 1)) list.remove(handle);
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(list.size, 0);
});
