import type { LameDuckEndReason } from '../drain/quiet-period.js';
import { decideLameDuckWait, quietPeriodMsFor } from '../drain/quiet-period.js';
import type { TrafficSnapshot } from '../drain/traffic-meter.js';
import type { Clock } from './clock.js';

/** What the lame-duck wait needs to know. */
export interface LameDuckWaitInput {
  clock: Clock;
  startedAtMs: number;
  minWaitMs: number;
  maxWaitMs: number;
  quietFloorMs: number;
  quietGaps: number;
  sources: readonly TrafficSnapshot[];
  /** Called once, at the start, with the quiet period the rate gives (for the log). */
  onStarted(plan: { quietPeriodMs: number; arrivalsPerSecond: number }): void;
  /** Called once, when the minimum wait has passed. */
  onMinimumPassed(): void;
  /** Ends the wait early (budget spent, forced exit). */
  signal: AbortSignal;
}

/** How the wait ended. */
export interface LameDuckWaitResult {
  reason: LameDuckEndReason | 'aborted';
  waitedMs: number;
  quietPeriodMs: number;
  arrivalsPerSecond: number;
}

/**
 * Waits until traffic has been quiet for the quiet period (sized from the arrival rate seen before
 * the trigger), between the minimum and maximum waits. Sleeps only until the next moment the
 * answer could change.
 */
export function waitForQuiet(input: LameDuckWaitInput): Promise<LameDuckWaitResult> {
  const { clock, startedAtMs, minWaitMs, maxWaitMs, sources, signal } = input;
  const arrivalsPerSecond = sources.reduce((sum, s) => sum + s.arrivalsPerSecond(), 0);
  const quietPeriodMs = quietPeriodMsFor(arrivalsPerSecond, {
    quietFloorMs: input.quietFloorMs,
    quietCeilingMs: maxWaitMs,
    quietGaps: input.quietGaps,
  });
  const lastArrivalAtMs = (): number | undefined => {
    let last: number | undefined;
    for (const s of sources) {
      const at = s.lastArrivalAtMs;
      if (at !== undefined && (last === undefined || at > last)) last = at;
    }
    return last;
  };
  const result = (reason: LameDuckWaitResult['reason']): LameDuckWaitResult => ({
    reason,
    waitedMs: clock.now() - startedAtMs,
    quietPeriodMs,
    arrivalsPerSecond,
  });

  return new Promise<LameDuckWaitResult>((resolve) => {
    let minimumPassed = false;
    let timer: unknown;
    const finish = (reason: LameDuckWaitResult['reason']): void => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result(reason));
    };
    const onAbort = (): void => finish('aborted');
    const check = (): void => {
      const nowMs = clock.now();
      if (!minimumPassed && nowMs >= startedAtMs + minWaitMs) {
        minimumPassed = true;
        input.onMinimumPassed();
      }
      const decision = decideLameDuckWait({
        startedAtMs,
        minWaitMs,
        maxWaitMs,
        quietPeriodMs,
        lastArrivalAtMs: lastArrivalAtMs(),
        nowMs,
      });
      if (decision.done) {
        finish(decision.reason);
        return;
      }
      // The nudge is due at the minimum whatever the traffic does, so wake then too: a timer that
      // fires a fraction of a millisecond early (libuv counts whole milliseconds) would find the
      // minimum not yet passed, and the nudge would wait for a whole quiet period more.
      const minimumAtMs = startedAtMs + minWaitMs;
      const nextAtMs = minimumPassed
        ? decision.checkAtMs
        : Math.min(decision.checkAtMs, minimumAtMs);
      timer = clock.setTimeout(check, Math.max(1, nextAtMs - nowMs));
    };
    if (signal.aborted) {
      resolve(result('aborted'));
      return;
    }
    input.onStarted({ quietPeriodMs, arrivalsPerSecond });
    signal.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
