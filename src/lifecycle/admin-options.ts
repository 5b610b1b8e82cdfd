/**
 * The admin server's options: where it listens and who may call `/lameduck/prestop`, from code,
 * the environment (`LAMEDUCK_ADMIN_PORT`, `LAMEDUCK_ADMIN_HOST`, `HOST_IP`,
 * `LAMEDUCK_PRESTOP_ALLOW`) or the defaults. Pure.
 */
import { type Registry, register } from 'prom-client';
import { type AddressAllowList, parseAddressAllowList } from '../admin/address-allow-list.js';
import { err, LameduckError, ok, type Result } from '../errors/lameduck-error.js';
import { checkKnownOptions, describeValue } from '../options/option-check.js';
import type { WholeNumberRange } from '../options/whole-number.js';
import { type Env, resolveWholeNumber, type SettingOrigin } from './setting-source.js';

/** Where the admin server listens; see `LifecycleOptions.admin`. */
export interface AdminOptions {
  /**
   * TCP port; 0 picks a free one (the `admin-listening` log line says which): for several
   * instances on one machine. Default: env `LAMEDUCK_ADMIN_PORT`, else 9901.
   */
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
  /**
   * Registries whose metrics `/metrics` serves after lameduck's own. Default: prom-client's
   * default registry (`register`), where `new Counter({ ... })` and `collectDefaultMetrics()`
   * put an app's metrics; pass yours instead (or `[]`) when the app keeps its own `Registry`, or
   * loads another copy of prom-client than lameduck's (npm dedupes them when their versions
   * agree).
   */
  metricsRegistries: readonly Registry[];
}

/** Default admin port, as in {@link AdminOptions.port}. */
export const defaultAdminPort = 9901;

/** The ports `LAMEDUCK_ADMIN_PORT` and `admin.port` accept; 0 picks a free one. */
export const adminPortRange: WholeNumberRange = { minimum: 0, maximum: 65_535 };

/** The admin server's options after defaults and the environment are applied, and checked. */
export interface AdminConfig {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Where the port came from, so that a port in use names what to change. */
  portOrigin: SettingOrigin;
  /** Address to bind; `undefined` binds every interface. */
  host: string | undefined;
  /** Who may call `/lameduck/prestop`, parsed from `HOST_IP` and `LAMEDUCK_PRESTOP_ALLOW`. */
  prestopAllow: AddressAllowList;
  /** Served on `/metrics` after lameduck's own registry. */
  metricsRegistries: readonly Registry[];
}

const knownAdminOptions = ['port', 'host', 'prestopAllow', 'metricsRegistries'];

const invalid = (message: string): Result<never> =>
  err(new LameduckError('invalid_config', `lifecycle: ${message}`));

/** Applies code, then env, then defaults to the admin options (`false`: no admin server). */
export function resolveAdminConfig(admin: unknown, env: Env): Result<AdminConfig | false> {
  if (admin === false) return ok(false);
  if (admin !== undefined && (typeof admin !== 'object' || admin === null)) {
    return invalid(`admin must be an object of options or false, got ${describeValue(admin)}`);
  }
  const given: Partial<AdminOptions> = admin ?? {};
  const known = checkKnownOptions(given, knownAdminOptions, 'admin.');
  if (!known.ok) return invalid(known.error);
  const port = resolveWholeNumber(
    'admin.port',
    given.port,
    'LAMEDUCK_ADMIN_PORT',
    env,
    adminPortRange,
  );
  if (!port.ok) return invalid(port.error);
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
  const metricsRegistries = given.metricsRegistries ?? [register];
  if (
    !Array.isArray(metricsRegistries) ||
    !metricsRegistries.every((r) => typeof (r as Partial<Registry> | null)?.metrics === 'function')
  ) {
    return invalid(
      `admin.metricsRegistries must be an array of prom-client registries, got ${describeValue(metricsRegistries)}`,
    );
  }
  return ok({
    port: port.value.value ?? defaultAdminPort,
    portOrigin: port.value.origin,
    host,
    prestopAllow: prestopAllow.value,
    metricsRegistries,
  });
}

/**
 * Why the admin port cannot be had and what to do, naming the setting the user set: another
 * process (often a second instance on the same machine) holds it.
 */
export function adminPortInUseAdvice(admin: Pick<AdminConfig, 'port' | 'portOrigin'>): string {
  const setting =
    admin.portOrigin === 'option'
      ? `admin.port: ${admin.port}`
      : admin.portOrigin === 'env'
        ? `LAMEDUCK_ADMIN_PORT=${admin.port}`
        : `the default admin port ${admin.port} (LAMEDUCK_ADMIN_PORT is unset)`;
  const change = admin.portOrigin === 'option' ? 'admin.port' : 'LAMEDUCK_ADMIN_PORT';
  return (
    `${setting} is in use (EADDRINUSE) by another process (a second instance on this machine?): set ` +
    `${change} to a free port, or to 0 to pick any free one (the admin-listening line says which)`
  );
}

/** The entries of a comma-separated env value, trimmed, blanks left out. */
function listed(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
