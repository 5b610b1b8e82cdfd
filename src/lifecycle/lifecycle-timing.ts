/**
 * The checks across the timing settings (a margin that swallows the grace period, a wait that
 * leaves no time to drain), and the budget they give. Pure. Each message names the settings as
 * the user set them (`LAMEDUCK_GRACE_PERIOD_SECONDS=2`, `minLameDuckMs: 3000`, or a default) and
 * the limit, so the user knows which line of their manifest or code to change.
 */
import { err, ok, type Result } from '../errors/lameduck-error.js';
import { secondsToMs } from './clock.js';
import type { LifecycleConfig, LifecycleNumberOption } from './lifecycle-options.js';
import type { SettingOrigin } from './setting-source.js';

/** The smallest safety margin accepted: less races the kubelet's SIGKILL. */
export const minimumSafetyMarginMs = 200;

/** The longest default lame-duck maximum, as in `LifecycleOptions.maxLameDuckMs`. */
export const defaultMaxLameDuckCeilingMs = 15_000;

/** The timing numbers, resolved; `maxLameDuckMs` is `undefined` when derived. */
export interface TimingInput {
  gracePeriodSeconds: number;
  safetyMarginMs: number;
  minLameDuckMs: number;
  maxLameDuckMs: number | undefined;
  quietFloorMs: number;
  origins: Readonly<Record<LifecycleNumberOption, SettingOrigin>>;
}

/** The timing part of the configuration. */
export type Timing = Pick<
  LifecycleConfig,
  | 'gracePeriodSeconds'
  | 'safetyMarginMs'
  | 'budgetMs'
  | 'forceGraceMs'
  | 'minLameDuckMs'
  | 'maxLameDuckMs'
  | 'quietFloorMs'
>;

/** Names a setting as the user set it (see `describeSetting`). */
export type DescribeSetting = (
  config: Pick<LifecycleConfig, LifecycleNumberOption | 'origins'>,
  key: LifecycleNumberOption,
) => string;

/**
 * Checks that the settings can work together and derives the budget and the default
 * `maxLameDuckMs` (half the budget, at most {@link defaultMaxLameDuckCeilingMs}, never below
 * the minimum). The problem is the error.
 */
export function checkLifecycleTiming(
  input: TimingInput,
  describe: DescribeSetting,
): Result<Timing, string> {
  const { gracePeriodSeconds, safetyMarginMs, minLameDuckMs, quietFloorMs, origins } = input;
  const gracePeriodMs = secondsToMs(gracePeriodSeconds);
  const budgetMs = gracePeriodMs - safetyMarginMs;
  const maxLameDuckMs =
    input.maxLameDuckMs ??
    Math.max(minLameDuckMs, Math.min(defaultMaxLameDuckCeilingMs, Math.floor(budgetMs / 2)));
  const config = { ...input, maxLameDuckMs, origins };
  const name = (key: LifecycleNumberOption) => describe(config, key);
  // The shortest grace period these settings allow: the margin and the shortest wait, plus a
  // second to drain in.
  const shortestGraceSeconds = Math.floor((safetyMarginMs + minLameDuckMs) / 1000) + 1;
  const budgetText = `the budget of ${budgetMs} ms (${name('gracePeriodSeconds')} minus ${name('safetyMarginMs')})`;

  if (safetyMarginMs < minimumSafetyMarginMs) {
    return err(
      `${name('safetyMarginMs')}: the safety margin must be at least ${minimumSafetyMarginMs} ms, so that the process exits before the kubelet's SIGKILL`,
    );
  }
  if (safetyMarginMs >= gracePeriodMs) {
    return err(
      `${name('gracePeriodSeconds')} with ${name('safetyMarginMs')}: the grace period (${gracePeriodMs} ms) must be longer than the safety margin; with this margin and ${name('minLameDuckMs')}, the grace period must be at least ${shortestGraceSeconds} s`,
    );
  }
  if (minLameDuckMs >= budgetMs) {
    return err(
      `${name('minLameDuckMs')} leaves no time to drain: the shortest lame-duck wait must be shorter than ${budgetText}; lower it, or make the grace period at least ${shortestGraceSeconds} s`,
    );
  }
  if (maxLameDuckMs < minLameDuckMs) {
    return err(
      `${name('maxLameDuckMs')} is shorter than ${name('minLameDuckMs')}: the longest lame-duck wait cannot be shorter than the shortest`,
    );
  }
  if (maxLameDuckMs >= budgetMs) {
    return err(
      `${name('maxLameDuckMs')} leaves no time to drain: the longest lame-duck wait must be shorter than ${budgetText}`,
    );
  }
  return ok({
    gracePeriodSeconds,
    safetyMarginMs,
    budgetMs,
    forceGraceMs: Math.floor(safetyMarginMs / 2),
    minLameDuckMs,
    maxLameDuckMs,
    quietFloorMs,
  });
}
