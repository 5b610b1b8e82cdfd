import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import type { Logger } from '../log/logger.js';
import { checkKnownOptions, describeValue } from '../options/option-check.js';
import {
  maxTimerDelaySeconds,
  timerDelayLimitMs,
  timerDelayLimitSeconds,
} from '../options/timer-delay.js';
import { parseWholeNumber, type WholeNumberRange } from '../options/whole-number.js';
import {
  type AdminConfig,
  type AdminOptions,
  adminPortRange,
  resolveAdminConfig,
} from './admin-options.js';
import { type Clock, systemClock } from './clock.js';
import { checkLifecycleTiming } from './lifecycle-timing.js';
import { type Env, resolveWholeNumber, type SettingOrigin } from './setting-source.js';

/** Options of {@link createLifecycle}. */
export interface LifecycleOptions {
  /**
   * The pod's `terminationGracePeriodSeconds`: the kubelet sends SIGKILL this long after the pod's
   * deletion. Whole seconds, from 1 to {@link maxGracePeriodSeconds} (about 24.8 days: the
   * budget's timer must fit in a Node timer, which holds at most 2^31 - 1 ms). Default: env
   * `LAMEDUCK_GRACE_PERIOD_SECONDS`, else 30.
   */
  gracePeriodSeconds: number;
  /**
   * Kept back from the grace period so that the process exits on its own before SIGKILL; half of
   * it is given to forced closes after the budget ends. At least 200. Default: env
   * `LAMEDUCK_SAFETY_MARGIN_MS`, else 2000.
   */
  safetyMarginMs: number;
  /**
   * The shortest lame-duck wait: the time endpoint removal needs to reach every caller
   * (kube-proxy syncs at most every 1 s; ingress controllers lag about 1 s). Default: env
   * `LAMEDUCK_MIN_LAME_DUCK_MS`, else 2000.
   */
  minLameDuckMs: number;
  /**
   * The longest lame-duck wait; the drain gets the rest of the budget. Default: env
   * `LAMEDUCK_MAX_LAME_DUCK_MS`, else half the budget, at most 15000.
   */
  maxLameDuckMs: number | undefined;
  /** The shortest quiet period that ends the wait. Default: env `LAMEDUCK_QUIET_FLOOR_MS`, else 500. */
  quietFloorMs: number;
  /**
   * How many mean gaps between arrivals (measured before the trigger) count as quiet. Default: 10.
   */
  quietGaps: number;
  /** The admin server, or `false` for none. Default: see {@link AdminOptions}. */
  admin: Partial<AdminOptions> | false;
  /** Where events are logged. Default: JSON lines on standard output at level info. */
  logger: Logger | undefined;
  /** Time source; tests inject a fake. Default: the system clock. */
  clock: Clock;
}

/** Defaults of {@link LifecycleOptions}; `undefined` means "derived", as each option says. */
export const lifecycleDefaults: LifecycleOptions = {
  gracePeriodSeconds: 30,
  safetyMarginMs: 2000,
  minLameDuckMs: 2000,
  maxLameDuckMs: undefined,
  quietFloorMs: 500,
  quietGaps: 10,
  admin: {},
  logger: undefined,
  clock: systemClock,
};

/** The options that hold whole numbers, each with an env variable. */
export type LifecycleNumberOption =
  | 'gracePeriodSeconds'
  | 'safetyMarginMs'
  | 'minLameDuckMs'
  | 'maxLameDuckMs'
  | 'quietFloorMs';

/** Options after defaults and the environment are applied, and checked. */
export interface LifecycleConfig {
  gracePeriodSeconds: number;
  safetyMarginMs: number;
  /** The shutdown budget: grace period minus safety margin. */
  budgetMs: number;
  /** After the budget ends, how long forced closes may take before the process exits anyway. */
  forceGraceMs: number;
  minLameDuckMs: number;
  maxLameDuckMs: number;
  quietFloorMs: number;
  quietGaps: number;
  admin: AdminConfig | false;
  /**
   * Whether the process runs in a Kubernetes pod: env `KUBERNETES_SERVICE_HOST` is set, as the
   * kubelet sets it in every container. Outside one, a SIGINT (Ctrl-C) drains at once unless a
   * participant advertises the service elsewhere (see `Advertiser`).
   */
  kubernetes: boolean;
  /** Where each number came from, so that a message names what the user set (see {@link describeSetting}). */
  origins: Readonly<Record<LifecycleNumberOption, SettingOrigin>>;
}

/** The longest grace period accepted: its timers (budget, hard exit) must fit in a Node timer. */
export const maxGracePeriodSeconds = maxTimerDelaySeconds;

/** The env variables that hold numbers. */
export type LifecycleNumberEnvName =
  | 'LAMEDUCK_GRACE_PERIOD_SECONDS'
  | 'LAMEDUCK_SAFETY_MARGIN_MS'
  | 'LAMEDUCK_MIN_LAME_DUCK_MS'
  | 'LAMEDUCK_MAX_LAME_DUCK_MS'
  | 'LAMEDUCK_QUIET_FLOOR_MS'
  | 'LAMEDUCK_ADMIN_PORT';

const msRange: WholeNumberRange = { minimum: 0, ...timerDelayLimitMs };

/** Each numeric option: its env variable and the values it accepts. */
const numericOptions: Record<
  LifecycleNumberOption,
  { envName: LifecycleNumberEnvName; range: WholeNumberRange }
> = {
  gracePeriodSeconds: {
    envName: 'LAMEDUCK_GRACE_PERIOD_SECONDS',
    range: { minimum: 1, ...timerDelayLimitSeconds },
  },
  safetyMarginMs: { envName: 'LAMEDUCK_SAFETY_MARGIN_MS', range: msRange },
  minLameDuckMs: { envName: 'LAMEDUCK_MIN_LAME_DUCK_MS', range: msRange },
  maxLameDuckMs: { envName: 'LAMEDUCK_MAX_LAME_DUCK_MS', range: msRange },
  quietFloorMs: { envName: 'LAMEDUCK_QUIET_FLOOR_MS', range: msRange },
};

/**
 * Reads the number in env variable `envName` as {@link resolveLifecycleConfig} does, checks
 * included: for tools that find the setting elsewhere (the linter, in manifests). The error
 * names the variable, the value and the range.
 */
export function parseLifecycleEnvNumber(
  envName: LifecycleNumberEnvName,
  text: string,
): Result<number, string> {
  const range =
    Object.values(numericOptions).find((option) => option.envName === envName)?.range ??
    adminPortRange;
  return parseWholeNumber(envName, text, range);
}

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `lifecycle: ${message}`));

/**
 * A number of `config` as the user set it, for messages: `LAMEDUCK_MIN_LAME_DUCK_MS=3000` from
 * the environment, `minLameDuckMs: 3000` from code, `minLameDuckMs 2000 (the default)`.
 */
export function describeSetting(
  config: Pick<LifecycleConfig, LifecycleNumberOption | 'origins'>,
  key: LifecycleNumberOption,
): string {
  const value = config[key];
  switch (config.origins[key]) {
    case 'env':
      return `${numericOptions[key].envName}=${value}`;
    case 'option':
      return `${key}: ${value}`;
    default:
      return `${key} ${value} (the default)`;
  }
}

/** The keys {@link createLifecycle} accepts. */
const knownOptions = Object.keys(lifecycleDefaults);

/**
 * Applies, in order of precedence, the options given in code, then the environment, then the
 * defaults, and checks that the result can work. Pure: the environment is passed in. An option
 * this version does not know (a typo in JavaScript) is refused, naming the closest known one;
 * every error names the option or env variable set, its value and the limit it breaks.
 *
 * Numbers in the environment are whole decimal numbers (`30`, never `0x1e`, `3e1`, `30.0` or
 * `030`), with spaces or a line break around them ignored and a blank value meaning unset; in
 * code they are whole numbers too (a string `'30'` is refused), except `quietGaps`. A grace
 * period is whole seconds, as the pod's `terminationGracePeriodSeconds` is; milliseconds finer
 * than 1 mean nothing to a timer. No delay may pass 2^31 - 1 ms (about 24.8 days), the longest a
 * Node timer holds (see `timer-delay.ts`), hence at most {@link maxGracePeriodSeconds} seconds
 * of grace.
 */
export function resolveLifecycleConfig(
  options: Partial<LifecycleOptions>,
  env: Env,
): Result<LifecycleConfig> {
  const known = checkKnownOptions(options, knownOptions);
  if (!known.ok) return invalid(known.error);
  const numbers: Partial<Record<LifecycleNumberOption, number>> = {};
  const origins = {} as Record<LifecycleNumberOption, SettingOrigin>;
  for (const [key, { envName, range }] of Object.entries(numericOptions)) {
    const option = key as LifecycleNumberOption;
    const resolved = resolveWholeNumber(key, options[option], envName, env, range);
    if (!resolved.ok) return invalid(resolved.error);
    numbers[option] = resolved.value.value;
    origins[option] = resolved.value.origin;
  }
  const quietGaps: unknown = options.quietGaps ?? lifecycleDefaults.quietGaps;
  if (!(typeof quietGaps === 'number' && Number.isFinite(quietGaps) && quietGaps > 0)) {
    return invalid(`quietGaps must be a finite number > 0, got ${describeValue(quietGaps)}`);
  }
  const timing = checkLifecycleTiming(
    {
      gracePeriodSeconds: numbers.gracePeriodSeconds ?? lifecycleDefaults.gracePeriodSeconds,
      safetyMarginMs: numbers.safetyMarginMs ?? lifecycleDefaults.safetyMarginMs,
      minLameDuckMs: numbers.minLameDuckMs ?? lifecycleDefaults.minLameDuckMs,
      maxLameDuckMs: numbers.maxLameDuckMs,
      quietFloorMs: numbers.quietFloorMs ?? lifecycleDefaults.quietFloorMs,
      origins,
    },
    describeSetting,
  );
  if (!timing.ok) return invalid(timing.error);
  const admin = resolveAdminConfig(options.admin, env);
  if (!admin.ok) return admin;
  const kubernetes = (env.KUBERNETES_SERVICE_HOST ?? '').trim() !== '';
  return ok({ ...timing.value, quietGaps, admin: admin.value, kubernetes, origins });
}
