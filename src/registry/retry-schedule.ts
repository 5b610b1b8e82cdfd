/**
 * When to try an etcd call again after it failed, and what to say about it. An unreachable etcd
 * must neither be hammered (a fixed 250 ms pause is four calls a second from every pod) nor flood
 * the log (a warning per attempt): the pause doubles from the first to a cap, with jitter, and the
 * log gets the first failure with its reason, then one count per interval, the rest at debug.
 * Pure when the clock and the random source are passed in.
 */
import { resyncDelayMs } from './resync-delay.js';

/** How a {@link RetrySchedule} backs off and reports. */
export interface RetryScheduleOptions {
  /** The pause after the first failure. Required. */
  initialDelayMs: number;
  /** The longest pause: the backoff stops doubling here. Required. */
  maxDelayMs: number;
  /** At most one warning about continuing failures per this long. Default: 30000. */
  reportIntervalMs: number;
  /** Monotonic milliseconds. Default: `performance.now`. */
  now: () => number;
  /** Uniform in [0, 1): the jitter. Default: `Math.random`. */
  random: () => number;
}

/** Defaults of {@link RetryScheduleOptions}. */
export const retryScheduleDefaults = {
  reportIntervalMs: 30_000,
  now: () => performance.now(),
  random: Math.random,
} satisfies Partial<RetryScheduleOptions>;

/** What failed, for the log line: `cannot <attempt> (<reason>): <meanwhile>`. */
export interface FailedAttempt {
  /** What was attempted, after "cannot": `register 'echo' in etcd`. */
  attempt: string;
  /** Why, when known; `undefined` keeps the last reason (an open circuit breaker only echoes it). */
  reason: string | undefined;
  /** What holds meanwhile: `/readyz stays 503`. */
  meanwhile: string;
}

/** The pause before the next attempt, and the log line of the failure. */
export interface RetryDecision {
  delayMs: number;
  level: 'debug' | 'warn';
  message: string;
  /** Log fields: the pause, and for a count, the failures and how long they have lasted. */
  fields: { nextAttemptInMs: number; failedAttempts?: number; failingForMs?: number };
}

/** A run of failures of one kind of call, and the way out of it. */
export interface RetrySchedule {
  /** Counts a failed attempt. */
  failed(failure: FailedAttempt): RetryDecision;
  /**
   * Ends the run. Returns, if attempts failed, how many and for how long, and the words to add
   * to the success line (`, after 12 failed attempts over 40 s`); else `undefined`.
   */
  succeeded(): { failedAttempts: number; failingForMs: number; text: string } | undefined;
}

/** Makes a {@link RetrySchedule}. */
export function createRetrySchedule(
  options: Pick<RetryScheduleOptions, 'initialDelayMs' | 'maxDelayMs'> &
    Partial<RetryScheduleOptions>,
): RetrySchedule {
  const { initialDelayMs, maxDelayMs, reportIntervalMs, now, random } = {
    ...retryScheduleDefaults,
    ...options,
  };
  const seconds = (ms: number) => Math.round(ms / 1000);
  let failedAttempts = 0;
  let firstFailedAtMs = 0;
  let lastReportAtMs = 0;
  let lastReason = 'no reason given';
  return {
    failed({ attempt, reason, meanwhile }) {
      const atMs = now();
      failedAttempts += 1;
      if (reason !== undefined) lastReason = reason;
      const baseMs = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failedAttempts - 1, 30));
      const delayMs = Math.max(1, resyncDelayMs(baseMs, random));
      if (failedAttempts === 1) {
        firstFailedAtMs = atMs;
        lastReportAtMs = atMs;
        return {
          delayMs,
          level: 'warn',
          message:
            `cannot ${attempt} (${lastReason}): ${meanwhile}; retrying with backoff, at least ` +
            `every ${maxDelayMs} ms, and counting failures here every ${seconds(reportIntervalMs)} s`,
          fields: { nextAttemptInMs: delayMs },
        };
      }
      if (atMs - lastReportAtMs < reportIntervalMs) {
        return {
          delayMs,
          level: 'debug',
          message: `cannot ${attempt} yet (${lastReason})`,
          fields: { nextAttemptInMs: delayMs },
        };
      }
      lastReportAtMs = atMs;
      const failingForMs = Math.round(atMs - firstFailedAtMs);
      return {
        delayMs,
        level: 'warn',
        message:
          `still cannot ${attempt} after ${failedAttempts} attempts over ${seconds(failingForMs)} ` +
          `s (${lastReason}): ${meanwhile}; check that the etcd endpoints are reachable from here`,
        fields: { nextAttemptInMs: delayMs, failedAttempts, failingForMs },
      };
    },
    succeeded() {
      if (failedAttempts === 0) return undefined;
      const failingForMs = Math.round(now() - firstFailedAtMs);
      const ended = {
        failedAttempts,
        failingForMs,
        text: `, after ${failedAttempts} failed attempts over ${seconds(failingForMs)} s`,
      };
      failedAttempts = 0;
      return ended;
    },
  };
}
