import { LameduckError } from '../errors/lameduck-error.js';
import type { Clock, TimerHandle } from './clock.js';

/**
 * The one shutdown budget: an absolute deadline computed once at the first trigger. Every phase
 * gets `signal` and `remainingMs()`; sub-limits are carved out of it, never added on top.
 */
export interface Budget {
  /** When the budget started (the first trigger), in clock milliseconds. */
  readonly startedAtMs: number;
  /** When the budget ends, in clock milliseconds. */
  readonly deadlineAtMs: number;
  /** Aborts at the deadline with a `LameduckError` of code `deadline_exceeded`. */
  readonly signal: AbortSignal;
  /** Milliseconds left, never negative. */
  remainingMs(): number;
  /** Clears the deadline timer. The signal stays as it is. Idempotent. */
  dispose(): void;
}

/** Starts a budget of `totalMs` from now. */
export function createBudget(totalMs: number, clock: Clock): Budget {
  const startedAtMs = clock.now();
  const deadlineAtMs = startedAtMs + totalMs;
  const controller = new AbortController();
  let timer: TimerHandle | undefined = clock.setTimeout(() => {
    timer = undefined;
    controller.abort(
      new LameduckError(
        'deadline_exceeded',
        `lifecycle: shutdown budget of ${totalMs} ms is spent`,
      ),
    );
  }, totalMs);
  return {
    startedAtMs,
    deadlineAtMs,
    signal: controller.signal,
    remainingMs: () => Math.max(0, deadlineAtMs - clock.now()),
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
