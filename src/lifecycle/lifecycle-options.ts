import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import { type Clock, secondsToMs, systemClock } from './clock.js';
import type { Logger } from './logger.js';

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
   * Who may call `/lameduck/prestop` besides loopback: addresses and CIDRs. Default: env `HOST_IP`
   * (the node's address, from the downward API `status.hostIP`) and the comma-separated env
   * `LAMEDUCK_PRESTOP_ALLOW`.
   */
  prestopAllow: readonly string[];
}

/** Options of {@link createLifecycle}. */
export interface LifecycleOptions {
  /**
   * The pod's `terminationGracePeriodSeconds`: the kubelet sends SIGKILL this long after the pod's
   * deletion. Default: env `LAMEDUCK_GRACE_PERIOD_SECONDS`, else 30.
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

/** The smallest safety margin accepted: less races the kubelet's SIGKILL. */
export const minimumSafetyMarginMs = 200;

/** Default admin port, as in {@link AdminOptions.port}. */
export const defaultAdminPort = 9901;
/** The longest default lame-duck maximum, as in {@link LifecycleOptions.maxLameDuckMs}. */
export const defaultMaxLameDuckCeilingMs = 15_000;

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
  admin: AdminOptions | false;
}

type NumericOption =
  | 'gracePeriodSeconds'
  | 'safetyMarginMs'
  | 'minLameDuckMs'
  | 'maxLameDuckMs'
  | 'quietFloorMs'
  | 'quietGaps';

const envNames: Record<NumericOption, string | undefined> = {
  gracePeriodSeconds: 'LAMEDUCK_GRACE_PERIOD_SECONDS',
  safetyMarginMs: 'LAMEDUCK_SAFETY_MARGIN_MS',
  minLameDuckMs: 'LAMEDUCK_MIN_LAME_DUCK_MS',
  maxLameDuckMs: 'LAMEDUCK_MAX_LAME_DUCK_MS',
  quietFloorMs: 'LAMEDUCK_QUIET_FLOOR_MS',
  quietGaps: undefined,
};

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `lifecycle: ${message}`));

/**
 * Applies, in order of precedence, the options given in code, then the environment, then the
 * defaults, and checks that the result can work. Pure: the environment is passed in.
 */
export function resolveLifecycleConfig(
  options: Partial<LifecycleOptions>,
  env: Readonly<Record<string, string | undefined>>,
): Result<LifecycleConfig> {
  const numbers: Partial<Record<NumericOption, number>> = {};
  for (const key of Object.keys(envNames) as NumericOption[]) {
    const fromCode = options[key];
    const envName = envNames[key];
    const fromEnv = envName === undefined ? undefined : env[envName];
    if (fromCode !== undefined) {
      if (!Number.isFinite(fromCode) || fromCode < 0) {
        return invalid(`${key} must be a finite number >= 0, got ${String(fromCode)}`);
      }
      numbers[key] = fromCode;
    } else if (fromEnv !== undefined && fromEnv.trim() !== '') {
      const parsed = Number(fromEnv);
      if (!Number.isFinite(parsed) || parsed < 0) {
        return invalid(`${envName} must be a number >= 0, got '${fromEnv}'`);
      }
      numbers[key] = parsed;
    }
  }
  const gracePeriodSeconds = numbers.gracePeriodSeconds ?? lifecycleDefaults.gracePeriodSeconds;
  const safetyMarginMs = numbers.safetyMarginMs ?? lifecycleDefaults.safetyMarginMs;
  const minLameDuckMs = numbers.minLameDuckMs ?? lifecycleDefaults.minLameDuckMs;
  const quietFloorMs = numbers.quietFloorMs ?? lifecycleDefaults.quietFloorMs;
  const quietGaps = numbers.quietGaps ?? lifecycleDefaults.quietGaps;
  const gracePeriodMs = secondsToMs(gracePeriodSeconds);

  if (gracePeriodSeconds <= 0) return invalid('gracePeriodSeconds must be > 0');
  if (safetyMarginMs < minimumSafetyMarginMs) {
    return invalid(
      `safetyMarginMs (${safetyMarginMs}) must be at least ${minimumSafetyMarginMs}: the process must exit before the kubelet's SIGKILL`,
    );
  }
  if (safetyMarginMs >= gracePeriodMs) {
    return invalid(
      `safetyMarginMs (${safetyMarginMs}) must be shorter than the grace period (${gracePeriodMs} ms)`,
    );
  }
  const budgetMs = gracePeriodMs - safetyMarginMs;
  if (minLameDuckMs >= budgetMs) {
    return invalid(
      `minLameDuckMs (${minLameDuckMs}) leaves no time to drain in a budget of ${budgetMs} ms ` +
        `(grace period ${gracePeriodMs} ms - safety margin ${safetyMarginMs} ms)`,
    );
  }
  const maxLameDuckMs =
    numbers.maxLameDuckMs ??
    Math.max(minLameDuckMs, Math.min(defaultMaxLameDuckCeilingMs, Math.floor(budgetMs / 2)));
  if (maxLameDuckMs < minLameDuckMs) {
    return invalid(
      `maxLameDuckMs (${maxLameDuckMs}) is shorter than minLameDuckMs (${minLameDuckMs})`,
    );
  }
  if (maxLameDuckMs >= budgetMs) {
    return invalid(
      `maxLameDuckMs (${maxLameDuckMs}) leaves no time to drain in a budget of ${budgetMs} ms`,
    );
  }
  if (quietGaps <= 0) return invalid('quietGaps must be > 0');

  const admin = resolveAdmin(options.admin, env);
  if (!admin.ok) return admin;
  return ok({
    gracePeriodSeconds,
    safetyMarginMs,
    budgetMs,
    forceGraceMs: Math.floor(safetyMarginMs / 2),
    minLameDuckMs,
    maxLameDuckMs,
    quietFloorMs,
    quietGaps,
    admin: admin.value,
  });
}

function resolveAdmin(
  admin: LifecycleOptions['admin'] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Result<AdminOptions | false> {
  if (admin === false) return ok(false);
  const rawPort = admin?.port ?? (env.LAMEDUCK_ADMIN_PORT?.trim() || defaultAdminPort);
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return invalid(`admin port must be an integer from 0 to 65535, got '${String(rawPort)}'`);
  }
  const host = admin?.host ?? (env.LAMEDUCK_ADMIN_HOST?.trim() || undefined);
  const prestopAllow =
    admin?.prestopAllow ??
    [env.HOST_IP ?? '', ...(env.LAMEDUCK_PRESTOP_ALLOW ?? '').split(',')]
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  return ok({ port, host, prestopAllow });
}
