/**
 * The lines two texts have in common, by Myers' shortest edit script ("An O(ND) Difference
 * Algorithm and Its Variations", 1986). Pure.
 */

/**
 * The lines a shortest edit script from `a` to `b` keeps, as pairs `[index in a, index in b]` in
 * increasing order; `undefined` when more than `maxEdits` lines must be inserted or deleted (the
 * texts are too different to line up, and the search would cost time and memory for nothing).
 */
export function commonLines(
  a: readonly string[],
  b: readonly string[],
  maxEdits: number,
): Array<[number, number]> | undefined {
  // The common head and tail cost nothing to match, and are most of a fixed manifest.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail += 1;
  }
  const middle = middleMatches(
    a.slice(head, a.length - tail),
    b.slice(head, b.length - tail),
    maxEdits,
  );
  if (middle === undefined) return undefined;
  const pairs: Array<[number, number]> = [];
  for (let index = 0; index < head; index += 1) pairs.push([index, index]);
  for (const [x, y] of middle) pairs.push([head + x, head + y]);
  for (let index = tail; index > 0; index -= 1) pairs.push([a.length - index, b.length - index]);
  return pairs;
}

/** Myers' greedy forward search, keeping each round's furthest points to walk back from the end. */
function middleMatches(
  a: readonly string[],
  b: readonly string[],
  maxEdits: number,
): Array<[number, number]> | undefined {
  const limit = Math.min(a.length + b.length, maxEdits);
  const offset = limit + 1;
  // furthest[offset + k]: the furthest x reached on diagonal k (x - y = k).
  const furthest = new Int32Array(2 * limit + 3);
  const rounds: Int32Array[] = [];
  for (let edits = 0; edits <= limit; edits += 1) {
    rounds.push(furthest.slice());
    for (let k = -edits; k <= edits; k += 2) {
      let x = comesFromAbove(furthest, offset, k, edits)
        ? (furthest[offset + k + 1] ?? 0)
        : (furthest[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      furthest[offset + k] = x;
      if (x >= a.length && y >= b.length) return walkBack(rounds, offset, a.length, b.length);
    }
  }
  return undefined;
}

/**
 * Whether diagonal `k` is entered in round `edits` by an insertion from diagonal `k + 1` (else by
 * a deletion from `k - 1`): whichever of the two got further.
 */
function comesFromAbove(furthest: Int32Array, offset: number, k: number, edits: number): boolean {
  const above = furthest[offset + k + 1] ?? 0;
  const below = furthest[offset + k - 1] ?? 0;
  return k === -edits || (k !== edits && below < above);
}

function walkBack(
  rounds: readonly Int32Array[],
  offset: number,
  aLength: number,
  bLength: number,
): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  let x = aLength;
  let y = bLength;
  for (let edits = rounds.length - 1; edits >= 0; edits -= 1) {
    const furthest = rounds[edits] ?? new Int32Array();
    const k = x - y;
    const previousK = comesFromAbove(furthest, offset, k, edits) ? k + 1 : k - 1;
    const previousX = edits === 0 ? 0 : (furthest[offset + previousK] ?? 0);
    const previousY = edits === 0 ? 0 : previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      pairs.push([x, y]);
    }
    x = previousX;
    y = previousY;
  }
  return pairs.reverse();
}
