import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStderrTail } from './stderr-tail.js';

test('stderr tail keeps only the last lines, oldest first', () => {
  const tail = createStderrTail(3);
  tail.write('a\nb\nc\n');
  tail.write('d\ne\n');
  assert.deepEqual(tail.lines(), ['c', 'd', 'e']);
  assert.equal(tail.text(), 'c\nd\ne');
});

test('stderr tail joins lines split across chunks and shows an unfinished line', () => {
  const tail = createStderrTail(5);
  tail.write('hel');
  tail.write('lo\r\nwor');
  assert.deepEqual(tail.lines(), ['hello', 'wor']);
  tail.write('ld\n');
  assert.deepEqual(tail.lines(), ['hello', 'world']);
});

test('stderr tail cuts long lines and is empty before any write', () => {
  const tail = createStderrTail(2, 4);
  assert.equal(tail.text(), '');
  tail.write('abcdefgh\n');
  assert.deepEqual(tail.lines(), ['abcd…']);
});
