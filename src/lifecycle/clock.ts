/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the lifecycle sees it. Injected so that budget and wait logic can be tested with a fake
 * clock; `now()` must be monotonic.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` after `delayMs`. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer from {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Converts Kubernetes-style seconds to the milliseconds used inside lameduck. */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}
