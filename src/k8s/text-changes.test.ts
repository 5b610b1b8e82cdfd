import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAppliedFix, textChanges } from './text-changes.js';

test('textChanges gives each run of changed lines with its line in the text before', () => {
  const before = 'a\nb\nc\nd\n';
  assert.deepEqual(textChanges(before, before), []);
  assert.deepEqual(textChanges(before, 'a\nB\nc\nd\n'), [
    { line: 2, removed: ['b'], added: ['B'] },
  ]);
  assert.deepEqual(textChanges(before, 'a\nb\nx\ny\nc\nd\n'), [
    { line: 3, removed: [], added: ['x', 'y'] },
  ]);
  assert.deepEqual(textChanges(before, 'a\nc\nd\ne\n'), [
    { line: 2, removed: ['b'], added: [] },
    { line: 5, removed: [], added: ['e'] },
  ]);
});

test('formatAppliedFix: file:line, the rule and what it did, then before and after', () => {
  assert.equal(
    formatAppliedFix('a.yaml', 'shutdown-budget', 'set LAMEDUCK_GRACE_PERIOD_SECONDS to 45', [
      { line: 37, removed: ['              value: "60"'], added: ['              value: "45"'] },
    ]),
    'a.yaml:37 shutdown-budget: set LAMEDUCK_GRACE_PERIOD_SECONDS to 45\n' +
      '    -               value: "60"\n' +
      '    +               value: "45"',
  );
});
