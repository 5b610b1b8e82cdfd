import type { Clock, TimerHandle } from '../../src/lifecycle/clock.js';

/** A manual clock for pure-logic tests: time moves only when `advance()` is called. */
export interface FakeClock extends Clock {
  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void;
  /** Timers not yet run or cleared. */
  pendingTimers(): number;
}

/** Makes a {@link FakeClock} starting at `startMs`. */
export function createFakeClock(startMs = 1_000): FakeClock {
  let nowMs = startMs;
  let nextId = 1;
  const timers = new Map<number, { atMs: number; fn: () => void }>();
  return {
    now: () => nowMs,
    setTimeout(fn, delayMs) {
      const id = nextId++;
      timers.set(id, { atMs: nowMs + Math.max(0, delayMs), fn });
      return id as TimerHandle;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const targetMs = nowMs + ms;
      for (;;) {
        let dueId: number | undefined;
        let dueAtMs = Number.POSITIVE_INFINITY;
        for (const [id, timer] of timers) {
          if (timer.atMs <= targetMs && timer.atMs < dueAtMs) {
            dueId = id;
            dueAtMs = timer.atMs;
          }
        }
        if (dueId === undefined) break;
        const timer = timers.get(dueId);
        timers.delete(dueId);
        nowMs = dueAtMs;
        timer?.fn();
      }
      nowMs = targetMs;
    },
    pendingTimers: () => timers.size,
  };
}
