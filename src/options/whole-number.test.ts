import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkWholeNumber, parseWholeNumber } from './whole-number.js';

const range = { minimum: 1, maximum: 65_535 };

test('property: text is accepted exactly when it is canonical decimal digits within the range', () => {
  const text = fc.oneof(
    fc.integer({ min: -10, max: 70_000 }).map(String),
    fc.integer({ min: 0, max: 70_000 }).map((n) => `0${n}`),
    fc.integer({ min: 0, max: 70_000 }).map((n) => `0x${n.toString(16)}`),
    fc.integer({ min: 0, max: 70_000 }).map((n) => `${n}.0`),
    fc.integer({ min: 0, max: 70_000 }).map((n) => n.toExponential()),
    fc
      .tuple(
        fc.constantFrom('', ' ', '\t', '\n', ' \n'),
        fc.nat(70_000),
        fc.constantFrom('', ' ', '\n'),
      )
      .map(([before, n, after]) => `${before}${n}${after}`),
    fc.string({ unit: 'binary-ascii', maxLength: 6 }),
  );
  fc.assert(
    fc.property(text, (value) => {
      const digits = value.trim();
      // The reference: digits that BigInt writes back the same, so no sign, prefix or leading 0.
      const canonical = /^[0-9]+$/.test(digits) && BigInt(digits).toString() === digits;
      const expected =
        canonical && Number(digits) >= range.minimum && Number(digits) <= range.maximum;
      const parsed = parseWholeNumber('PORT', value, range);
      assert.equal(parsed.ok, expected, JSON.stringify(value));
      if (parsed.ok) assert.equal(parsed.value, Number(digits));
      else
        assert.equal(
          parsed.error,
          `PORT must be a whole decimal number from 1 to 65535, got '${value}'`,
        );
    }),
    { numRuns: 3000 },
  );
});

test('a number in code must be whole and within the range; the reason for the maximum is said', () => {
  const timerRange = { minimum: 0, maximum: 10, maximumReason: 'why not' };
  assert.deepEqual(checkWholeNumber('waitMs', 10, timerRange), { ok: true, value: 10 });
  for (const bad of [10.5, 11, -1, Number.NaN]) {
    assert.deepEqual(checkWholeNumber('waitMs', bad, timerRange), {
      ok: false,
      error: `waitMs must be a whole number from 0 to 10 (why not), got ${bad}`,
    });
  }
  assert.deepEqual(checkWholeNumber('waitMs', '5', timerRange), {
    ok: false,
    error: "waitMs must be a whole number from 0 to 10 (why not), got a string '5'",
  });
});
