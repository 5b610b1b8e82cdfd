import { describeValue } from './option-check.js';

/**
 * The longest delay a Node timer holds: 2^31 - 1 ms, about 24.8 days. Node keeps the delay in a
 * signed 32-bit integer; a longer one (or a negative one, or NaN) is replaced with 1 ms and a
 * TimeoutOverflowWarning, so the timer fires at once: a shutdown budget would end as it starts.
 * Delays that come from the user are checked against it where they are read.
 */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** {@link maxTimerDelayMs} in whole seconds: 2147483, for settings counted in seconds. */
export const maxTimerDelaySeconds = Math.floor(maxTimerDelayMs / 1000);

/** Why {@link maxTimerDelayMs} is a limit, for error messages. */
export const maxTimerDelayReason = 'the longest a timer holds is 2^31 - 1 ms, about 24.8 days';

/** The upper end of a whole-number setting in milliseconds (see `parseWholeNumber`). */
export const timerDelayLimitMs = { maximum: maxTimerDelayMs, maximumReason: maxTimerDelayReason };

/** The upper end of a whole-number setting in seconds: a grace period, a lease's TTL. */
export const timerDelayLimitSeconds = {
  maximum: maxTimerDelaySeconds,
  maximumReason: maxTimerDelayReason,
};

/**
 * Checks a delay option given in code, in milliseconds: a finite number from `minMs` to
 * {@link maxTimerDelayMs}. Returns the problem, naming `setting`, or `undefined` when it is fine.
 */
export function timerDelayProblem(
  setting: string,
  delayMs: unknown,
  minMs: number,
): string | undefined {
  if (
    typeof delayMs === 'number' &&
    Number.isFinite(delayMs) &&
    delayMs >= minMs &&
    delayMs <= maxTimerDelayMs
  ) {
    return undefined;
  }
  return `${setting} must be a number of milliseconds from ${minMs} to ${maxTimerDelayMs} (${maxTimerDelayReason}), got ${describeValue(delayMs)}`;
}

/**
 * `delayMs` held to {@link maxTimerDelayMs}, for a wait that means "at most this long", where
 * 24.8 days and longer come to the same. Checked options are better where the user sets them.
 */
export function clampTimerDelayMs(delayMs: number): number {
  return Math.min(delayMs, maxTimerDelayMs);
}
