import { type AddressAllowList, parseAddressAllowList } from '../admin/address-allow-list.js';
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import { type Clock, systemClock } from './clock.js';
import { checkLifecycleTiming } from './lifecycle-timing.js';
import type { Logger } from './logger.js';
import { checkKnownOptions, describeValue } from './option-check.js';
import { maxTimerDelaySeconds, timerDelayLimitMs, timerDelayLimitSeconds } from './timer-delay.js';
import { checkWholeNumber, parseWholeNumber, type WholeNumberRange } from './whole-number.js';

/** Where the admin server listens; see {@link LifecycleOptions.admin}. */
export interface AdminOptions {
  /** TCP port; 0 picks a free one. Default: env `LAMEDUCK_ADMIN_PORT`, else 9901. */
  port: number;
  /**
   * Address to bind. Default: env `LAMEDUCK_ADMIN_HOST`, else every interface (the kubelet
   * probes the pod IP).
   */
  host: string | undefined;
  /**
   * Who may call `/lameduck/prestop` besides loopback: addresses and CIDRs, read as
   * {@link parseAddressAllowList} says (decimal prefix lengths; IPv4-mapped addresses are IPv4).
   * Default: env `HOST_IP` (the node's address, from the downward API `status.hostIP`: one
   * address, never a range) and the comma-separated env `LAMEDUCK_PRESTOP_ALLOW`.
   */
  prestopAllow: readonly string[];
}

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

/** Default admin port, as in {@link AdminOptions.port}. */
export const defaultAdminPort = 9901;

/** The admin server's options after defaults and the environment are applied, and checked. */
export interface AdminConfig {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to bind; `undefined` binds every interface. */
  host: string | undefined;
  /** Who may call `/lameduck/prestop`, parsed from `HOST_IP` and `LAMEDUCK_PRESTOP_ALLOW`. */
  prestopAllow: AddressAllowList;
}

/** Where a setting's value came from: an option in code, the environment, or the default. */
export type SettingOrigin = 'option' | 'env' | 'default';

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

const adminPortRange: WholeNumberRange = { minimum: 0, maximum: 65_535 };

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

type Env = Readonly<Record<string, string | undefined>>;

/** A number as resolved: its value and where it came from. */
interface ResolvedNumber {
  value: number | undefined;
  origin: SettingOrigin;
}

/**
 * A whole-number setting: from code when given there, else from the env variable `envName` when
 * set and not blank, else `undefined` (the default). Both are checked against `range` (see
 * {@link parseWholeNumber} for how env text is read).
 */
function resolveWholeNumber(
  key: string,
  fromCode: unknown,
  envName: string,
  env: Env,
  range: WholeNumberRange,
): Result<ResolvedNumber, string> {
  if (fromCode !== undefined) {
    const checked = checkWholeNumber(key, fromCode, range);
    return checked.ok ? ok({ value: checked.value, origin: 'option' }) : checked;
  }
  const fromEnv = env[envName];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    return ok({ value: undefined, origin: 'default' });
  }
  const parsed = parseWholeNumber(envName, fromEnv, range);
  return parsed.ok ? ok({ value: parsed.value, origin: 'env' }) : parsed;
}

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

/** The keys {@link createLifecycle} accepts, and the admin server's. */
const knownOptions = Object.keys(lifecycleDefaults);
const knownAdminOptions = ['port', 'host', 'prestopAllow'];

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
  const admin = resolveAdmin(options.admin, env);
  if (!admin.ok) return admin;
  return ok({ ...timing.value, quietGaps, admin: admin.value, origins });
}

function resolveAdmin(admin: unknown, env: Env): Result<AdminConfig | false> {
  if (admin === false) return ok(false);
  if (admin !== undefined && (typeof admin !== 'object' || admin === null)) {
    return invalid(`admin must be an object of options or false, got ${describeValue(admin)}`);
  }
  const given: Partial<AdminOptions> = admin ?? {};
  const known = checkKnownOptions(given, knownAdminOptions, 'admin.');
  if (!known.ok) return invalid(known.error);
  const resolvedPort = resolveWholeNumber(
    'admin.port',
    given.port,
    'LAMEDUCK_ADMIN_PORT',
    env,
    adminPortRange,
  );
  if (!resolvedPort.ok) return invalid(resolvedPort.error);
  const port = resolvedPort.value.value ?? defaultAdminPort;
  if (given.host !== undefined && typeof given.host !== 'string') {
    return invalid(`admin.host must be an address, got ${describeValue(given.host)}`);
  }
  const host = given.host ?? (env.LAMEDUCK_ADMIN_HOST?.trim() || undefined);
  if (given.prestopAllow !== undefined && !Array.isArray(given.prestopAllow)) {
    return invalid(
      `admin.prestopAllow must be an array of addresses and CIDRs, got ${describeValue(given.prestopAllow)}`,
    );
  }
  const prestopAllow = parseAddressAllowList(
    given.prestopAllow === undefined
      ? [
          { setting: 'HOST_IP', entries: listed(env.HOST_IP ?? ''), addressesOnly: true },
          { setting: 'LAMEDUCK_PRESTOP_ALLOW', entries: listed(env.LAMEDUCK_PRESTOP_ALLOW ?? '') },
        ]
      : [{ setting: 'admin.prestopAllow', entries: given.prestopAllow }],
  );
  if (!prestopAllow.ok) return prestopAllow;
  return ok({ port, host, prestopAllow: prestopAllow.value });
}

/** The entries of a comma-separated env value, trimmed, blanks left out. */
function listed(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
