/** How far a resync wait strays from its interval, each way: ±20 %, as gRPC's backoff jitter. */
export const resyncJitter = 0.2;

/**
 * The wait before the next full read of a prefix: `intervalMs` ± {@link resyncJitter}, drawn
 * with `random` (uniform in [0, 1)), so that a thousand callers started in the same second spread
 * their reads over 0.4 × `intervalMs` instead of reading together at every interval.
 */
export function resyncDelayMs(intervalMs: number, random: () => number): number {
  return Math.round(intervalMs * (1 - resyncJitter + 2 * resyncJitter * random()));
}
