/**
 * The longest delay a Node timer holds: 2^31 - 1 ms, about 24.8 days. Node keeps the delay in a
 * signed 32-bit integer; a longer one (or a negative one, or NaN) is replaced with 1 ms and a
 * TimeoutOverflowWarning, so the timer fires at once: a shutdown budget would end as it starts.
 * Delays that come from the user are checked against it where they are read.
 */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** Why {@link maxTimerDelayMs} is a limit, for error messages. */
export const maxTimerDelayReason = 'the longest a timer holds is 2^31 - 1 ms, about 24.8 days';

/**
 * Checks a delay option given in code, in milliseconds: a finite number from `minMs` to
 * {@link maxTimerDelayMs}. Returns the problem, naming `setting`, or `undefined` when it is fine.
 */
export function timerDelayProblem(
  setting: string,
  delayMs: number,
  minMs: number,
): string | undefined {
  if (Number.isFinite(delayMs) && delayMs >= minMs && delayMs <= maxTimerDelayMs) return undefined;
  return `${setting} must be a number of milliseconds from ${minMs} to ${maxTimerDelayMs} (${maxTimerDelayReason}), got ${delayMs}`;
}
