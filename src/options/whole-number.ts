import { err, ok, type Result } from '../errors/lameduck-error.js';
import { describeValue } from './option-check.js';

/** The values a whole-number setting accepts. */
export interface WholeNumberRange {
  /** The smallest value accepted. */
  minimum: number;
  /** The largest value accepted. */
  maximum: number;
  /** Why the maximum is what it is, when it is not obvious; said in the error message. */
  maximumReason?: string;
}

// Digits only, and no leading zero: `010` is 8 to some readers (YAML 1.1, C) and 10 to others.
const decimalWholeNumber = /^(?:0|[1-9][0-9]*)$/;

/**
 * Reads the text of an env variable or a command-line flag as lameduck reads every number there:
 * ASCII decimal digits, without sign, leading zero, fraction, exponent, separator or prefix
 * (`0x1e`, `1e3`, `2.5`, `+5`, `08` and `1_000` are refused, where `Number()` would accept most),
 * within `range`. Spaces and line breaks around the digits are ignored (a YAML block scalar ends
 * with a newline). The problem, naming `setting`, is the error.
 */
export function parseWholeNumber(
  setting: string,
  text: string,
  range: WholeNumberRange,
): Result<number, string> {
  const digits = text.trim();
  const value = decimalWholeNumber.test(digits) ? Number(digits) : Number.NaN;
  return value >= range.minimum && value <= range.maximum
    ? ok(value)
    : err(`${setting} must be a whole decimal number ${rangeText(range)}, got '${text}'`);
}

/**
 * Checks a number given in code against the same rule: a whole number within `range`. Anything
 * else (a string `'45'` from JavaScript) is refused with its type named.
 */
export function checkWholeNumber(
  setting: string,
  value: unknown,
  range: WholeNumberRange,
): Result<number, string> {
  return typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= range.minimum &&
    value <= range.maximum
    ? ok(value)
    : err(`${setting} must be a whole number ${rangeText(range)}, got ${describeValue(value)}`);
}

function rangeText({ minimum, maximum, maximumReason }: WholeNumberRange): string {
  return `from ${minimum} to ${maximum}${maximumReason === undefined ? '' : ` (${maximumReason})`}`;
}
