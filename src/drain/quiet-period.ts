/**
 * The adaptive lame-duck wait, as pure arithmetic. The wait ends when no request or connection has
 * arrived for the quiet period, never before the minimum (which covers endpoint propagation) and
 * never after the maximum (which leaves the drain its share of the budget).
 */

/** How the quiet period follows the arrival rate. */
export interface QuietPeriodPolicy {
  /** The shortest quiet period, whatever the rate. */
  quietFloorMs: number;
  /** The longest quiet period, whatever the rate. */
  quietCeilingMs: number;
  /**
   * How many mean inter-arrival gaps of silence count as "traffic has left". With Poisson arrivals
   * the chance of a silence this long while traffic still flows is e^-quietGaps.
   */
  quietGaps: number;
}

/**
 * The quiet period for a given arrival rate: `quietGaps` mean gaps (1000 / rate ms each), held
 * between the floor and the ceiling. With no traffic at all, the floor.
 */
export function quietPeriodMsFor(arrivalsPerSecond: number, policy: QuietPeriodPolicy): number {
  const { quietFloorMs, quietCeilingMs, quietGaps } = policy;
  if (!(arrivalsPerSecond > 0)) return quietFloorMs;
  const gapsMs = (quietGaps * 1000) / arrivalsPerSecond;
  return Math.min(quietCeilingMs, Math.max(quietFloorMs, Math.ceil(gapsMs)));
}

/** What the wait knows at one instant. */
export interface LameDuckWaitState {
  /** When lame duck began. */
  startedAtMs: number;
  /** Earliest end, relative to `startedAtMs`. */
  minWaitMs: number;
  /** Latest end, relative to `startedAtMs`. */
  maxWaitMs: number;
  /** Silence needed to end the wait early. */
  quietPeriodMs: number;
  /** The newest arrival across every traffic source, or `undefined` if there was none. */
  lastArrivalAtMs: number | undefined;
  /** The current time. */
  nowMs: number;
}

/** Why the lame-duck wait ended. */
export type LameDuckEndReason = 'quiet' | 'max-wait';

/** The wait's verdict: over (and why), or when to look again. */
export type LameDuckWaitDecision =
  | { done: true; reason: LameDuckEndReason }
  | { done: false; checkAtMs: number };

/**
 * Decides whether the lame-duck wait is over. When it is not, `checkAtMs` is the earliest time it
 * could be, assuming nothing else arrives; the caller sleeps until then and asks again.
 */
export function decideLameDuckWait(state: LameDuckWaitState): LameDuckWaitDecision {
  const { startedAtMs, minWaitMs, maxWaitMs, quietPeriodMs, lastArrivalAtMs, nowMs } = state;
  const maxEndAtMs = startedAtMs + maxWaitMs;
  const quietEndAtMs = Math.max(
    startedAtMs + minWaitMs,
    lastArrivalAtMs === undefined ? Number.NEGATIVE_INFINITY : lastArrivalAtMs + quietPeriodMs,
  );
  // When both bounds are reached together, the maximum is the truthful reason.
  if (nowMs >= maxEndAtMs) return { done: true, reason: 'max-wait' };
  if (nowMs >= quietEndAtMs) return { done: true, reason: 'quiet' };
  return { done: false, checkAtMs: Math.min(quietEndAtMs, maxEndAtMs) };
}
