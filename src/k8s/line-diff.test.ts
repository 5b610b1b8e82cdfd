import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { commonLines } from './line-diff.js';

/** The length of a longest common subsequence, by the textbook table: the reference. */
function longestCommonLength(a: readonly string[], b: readonly string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const line of a) {
    const next = [0];
    for (const [j, other] of b.entries()) {
      next.push(line === other ? (row[j] ?? 0) + 1 : Math.max(row[j + 1] ?? 0, next[j] ?? 0));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

test('commonLines pairs equal lines, in order, as many as a longest common subsequence has', () => {
  const lines = fc.array(fc.constantFrom('a\n', 'b\n', 'c\n', '  d\n'), { maxLength: 30 });
  fc.assert(
    fc.property(lines, lines, (a, b) => {
      const pairs = commonLines(a, b, a.length + b.length);
      assert.ok(pairs !== undefined);
      let previous = [-1, -1];
      for (const [i, j] of pairs) {
        assert.ok(i > (previous[0] ?? -1) && j > (previous[1] ?? -1), 'in order');
        assert.equal(a[i], b[j]);
        previous = [i, j];
      }
      assert.equal(pairs.length, longestCommonLength(a, b));
    }),
  );
});

test('commonLines gives up when more lines than maxEdits differ', () => {
  const a = ['same\n', 'a\n', 'b\n', 'c\n', 'same too\n'];
  const b = ['same\n', 'x\n', 'y\n', 'z\n', 'same too\n'];
  assert.equal(commonLines(a, b, 5), undefined);
  assert.deepEqual(commonLines(a, b, 6), [
    [0, 0],
    [4, 4],
  ]);
});
