import assert from 'node:assert/strict';
import { test } from 'node:test';
import { springDurationSeconds } from './shutdown-timing.js';

test('Spring durations: units, bare milliseconds, ISO-8601; anything else is unreadable', () => {
  const cases: Array<[string, number | undefined]> = [
    ['30s', 30],
    ['500ms', 0.5],
    ['1m', 60],
    ['2H', 7200],
    ['30', 0.03],
    ['PT10S', 10],
    ['pt1m30s', 90],
    ['P1DT1H', 90_000],
    ['PT0.5S', 0.5],
    ['P', undefined],
    ['PT', undefined],
    ['10 s', undefined],
    ['ten', undefined],
  ];
  for (const [text, seconds] of cases) assert.equal(springDurationSeconds(text), seconds, text);
});
