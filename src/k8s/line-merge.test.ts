import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeLineEdit } from './line-merge.js';

// `original` as written; `base`, how a printer writes it (mode: 0644 becomes 644, spacing goes).
const original = 'kind: A\nmode: 0644\nspec:\n  x:    1\n  y: 2\n';
const base = 'kind: A\nmode: 644\nspec:\n  x: 1\n  y: 2\n';
const none = () => false;

test('an edit is carried to the file as written; the lines it does not touch keep their bytes', () => {
  const changed = mergeLineEdit(original, base, base.replace('y: 2', 'y: 3'), none);
  assert.deepEqual(changed, { ok: true, value: original.replace('y: 2', 'y: 3') });
  const inserted = mergeLineEdit(
    original,
    base,
    base.replace('  y: 2\n', '  y: 2\n  z: 4\n'),
    none,
  );
  assert.deepEqual(inserted, { ok: true, value: `${original}  z: 4\n` });
  const removed = mergeLineEdit(original, base, base.replace('  y: 2\n', ''), none);
  assert.deepEqual(removed, { ok: true, value: original.replace('  y: 2\n', '') });
});

test('an insertion goes after blank lines the printer dropped, and a missing last line end stays missing', () => {
  const appended = mergeLineEdit(`${original}\n\n`, base, `${base}---\nkind: B\n`, none);
  assert.deepEqual(appended, { ok: true, value: `${original}\n\n---\nkind: B\n` });
  const endless = original.slice(0, -1);
  assert.deepEqual(mergeLineEdit(endless, base, base.replace('kind: A', 'kind: C'), none), {
    ok: true,
    value: endless.replace('kind: A', 'kind: C'),
  });
  assert.deepEqual(mergeLineEdit(endless, base, base.replace('y: 2', 'y: 3'), none), {
    ok: true,
    value: endless.replace('y: 2', 'y: 3'),
  });
});

test('an edit that reaches a line the printer writes in another form is refused, naming the line', () => {
  // The edited line itself, and an insertion beside a comment the printer does not keep there.
  assert.deepEqual(mergeLineEdit(original, base, base.replace('mode: 644', 'mode: 600'), none), {
    ok: false,
    error: { line: 2, text: 'mode: 0644' },
  });
  const commented = original.replace('  y: 2\n', '  # why y\n  y: 2\n');
  assert.deepEqual(
    mergeLineEdit(commented, base, base.replace('  y: 2\n', '  w: 0\n  y: 2\n'), none),
    {
      ok: false,
      error: { line: 4, text: '  x:    1' },
    },
  );
});

test('a line the printer rewrites in place is kept beside an edit, and replaced when it was all removed', () => {
  // `x:    1` is printed `x: 1`: the line stands for it, so an insertion after it has its place.
  const inserted = mergeLineEdit(
    original,
    base,
    base.replace('  x: 1\n', '  x: 1\n  w: 0\n'),
    none,
  );
  assert.deepEqual(inserted, {
    ok: true,
    value: original.replace('  x:    1\n', '  x:    1\n  w: 0\n'),
  });
  // Replacing it is a conflict, unless all of it is what the edit removed.
  const replaced = base.replace('  x: 1\n', '  x: 9\n');
  assert.deepEqual(mergeLineEdit(original, base, replaced, none), {
    ok: false,
    error: { line: 4, text: '  x:    1' },
  });
  assert.deepEqual(
    mergeLineEdit(original, base, replaced, (index) => index === 3),
    { ok: true, value: original.replace('  x:    1\n', '  x: 9\n') },
  );
});
