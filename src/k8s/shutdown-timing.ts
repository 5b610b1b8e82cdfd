/**
 * What a container's manifest says about its shutdown timing: how long its preStop hook holds
 * SIGTERM back, and how long the app itself takes after SIGTERM (lameduck's env, or Spring's).
 */
import { defaultAdminPort } from '../lifecycle/admin-options.js';
import { lifecycleDefaults, parseLifecycleEnvNumber } from '../lifecycle/lifecycle-options.js';
import { type EnvOrigin, envValue } from './container-env.js';
import type { ContainerView, LifecycleHandler } from './workload.js';

/** Kubernetes' default `terminationGracePeriodSeconds`. */
export const defaultGracePeriodSeconds = 30;

/** lameduck's own default grace period, used when `LAMEDUCK_GRACE_PERIOD_SECONDS` is unset. */
export const lameduckDefaultGracePeriodSeconds = lifecycleDefaults.gracePeriodSeconds;

/** lameduck's preStop endpoint on the admin port. */
export const lameduckPrestopPath = '/lameduck/prestop';

/** How a preStop hook delays SIGTERM. */
export type PreStopDelay =
  | { kind: 'none' }
  /** A fixed sleep: the native action, `exec: [sleep, N]`, or a shell running `sleep N`. */
  | { kind: 'fixed'; seconds: number; how: 'sleep-action' | 'exec-sleep' | 'shell-sleep' }
  /** lameduck's adaptive hook: returns when traffic is quiet (httpGet or `lameduck prestop`). */
  | { kind: 'lameduck'; how: 'httpGet' | 'exec' }
  /** Some other hook: its length cannot be read from the manifest. */
  | { kind: 'other' };

const shellNames = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'busybox']);

/** The program name of an argv element: `/bin/sh` → `sh`. */
export function programName(argument: string | undefined): string {
  return (argument ?? '').split('/').pop() ?? '';
}

/** Whether `argument` (an argv element) names a shell: `sh`, `/bin/bash`, `busybox`… */
export function isShellProgram(argument: string | undefined): boolean {
  return shellNames.has(programName(argument));
}

/** Whether `command` runs a shell with `-c` (`["sh", "-c", "…"]`); returns the script. */
export function shellScript(command: readonly string[]): string | undefined {
  const [program, ...rest] = command;
  if (!isShellProgram(program)) return undefined;
  const flagIndex = rest.findIndex((argument) => /^-[a-z]*c[a-z]*$/.test(argument));
  return flagIndex === -1 ? undefined : rest[flagIndex + 1];
}

/** Whether exec `command` only sleeps (`sleep 5`, `sh -c "sleep 5"`), as the sleep action does. */
export function isOnlySleep(command: readonly string[]): boolean {
  if (programName(command[0]) === 'sleep') return command.length === 2;
  const script = shellScript(command) ?? '';
  return /^\s*(?:(?:exec\s+)?sleep\s+\d+(?:\.\d+)?[smh]?\s*(?:;|&&|\n|$)\s*)+$/.test(script);
}

/** Reads how `handler` delays SIGTERM. */
export function preStopDelay(handler: LifecycleHandler | undefined): PreStopDelay {
  if (handler === undefined) return { kind: 'none' };
  switch (handler.kind) {
    case 'sleep':
      return { kind: 'fixed', seconds: handler.seconds, how: 'sleep-action' };
    case 'httpGet':
      return handler.path === lameduckPrestopPath
        ? { kind: 'lameduck', how: 'httpGet' }
        : { kind: 'other' };
    case 'exec':
      return execDelay(handler.command);
    default:
      return { kind: 'other' };
  }
}

function execDelay(command: readonly string[]): PreStopDelay {
  if (programName(command[0]) === 'sleep') {
    const seconds = durationSeconds(command[1] ?? '');
    return seconds === undefined
      ? { kind: 'other' }
      : { kind: 'fixed', seconds, how: 'exec-sleep' };
  }
  if (command.includes('prestop') && command.some((argument) => argument.includes('lameduck'))) {
    return { kind: 'lameduck', how: 'exec' };
  }
  const script = shellScript(command);
  if (script === undefined) return { kind: 'other' };
  const sleeps = [...script.matchAll(/(?:^|[\s;&|(])sleep\s+(\d+(?:\.\d+)?[smh]?)\b/g)];
  if (sleeps.length === 0) return { kind: 'other' };
  const seconds = sleeps.reduce((sum, match) => sum + (durationSeconds(match[1] ?? '') ?? 0), 0);
  return { kind: 'fixed', seconds, how: 'shell-sleep' };
}

/** Seconds in one of each duration unit that `sleep`, Go and Spring write. */
const secondsPerUnit = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds in one `unit` (`ms`, `s`, …; any case), or `undefined` for no known unit. */
function unitSeconds(unit: string): number | undefined {
  const key = unit.toLowerCase();
  return Object.hasOwn(secondsPerUnit, key)
    ? secondsPerUnit[key as keyof typeof secondsPerUnit]
    : undefined;
}

/** Seconds in a duration as `sleep` and Go write it (`15`, `1.5s`, `500ms`, `1m30s`). */
export function durationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+(?:\.\d+)?$|^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(trimmed)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/g)) {
    seconds += Number(amount) * (unitSeconds(unit ?? 's') ?? 1);
  }
  return seconds;
}

/**
 * Seconds in a duration as Spring Boot reads it (DurationStyle): `30s`, `500ms`, `1m`, `2h`,
 * `1d`, a bare number in milliseconds, or ISO-8601 (`PT10S`, `PT1M30S`).
 */
export function springDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  const simple = /^\+?(\d+)(ns|us|ms|s|m|h|d)?$/i.exec(trimmed);
  if (simple !== null) {
    return Number(simple[1]) * (unitSeconds(simple[2] ?? 'ms') ?? secondsPerUnit.ms);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(trimmed);
  if (iso === null || trimmed.toUpperCase() === 'P' || trimmed.toUpperCase().endsWith('T')) {
    return undefined;
  }
  const [, days, hours, minutes, seconds] = iso;
  return (
    Number(days ?? 0) * secondsPerUnit.d +
    Number(hours ?? 0) * secondsPerUnit.h +
    Number(minutes ?? 0) * secondsPerUnit.m +
    Number(seconds ?? 0)
  );
}

/** What the app does after SIGTERM, as far as its env tells. */
export type AppShutdown =
  /**
   * A lameduck service: its whole shutdown fits in its grace period setting, which is set in the
   * manifest, left to lameduck's default, or set where the manifests do not show (`unknownFrom`:
   * a Secret, a ConfigMap not linted).
   */
  | {
      kind: 'lameduck';
      gracePeriod:
        | { kind: 'default'; seconds: number }
        /** Set in the manifests: in the container's env, or at `origin` (a ConfigMap key). */
        | { kind: 'set'; seconds: number; origin?: EnvOrigin }
        | { kind: 'unknown'; from: string }
        /** Not a number lameduck accepts there (whole, decimal, in range): it refuses to start. */
        | { kind: 'invalid'; text: string };
    }
  /** Spring Boot graceful shutdown: up to `timeout-per-shutdown-phase` per phase. */
  | { kind: 'spring'; phaseTimeoutSeconds: number }
  | { kind: 'unknown' };

/** Spring Boot's default `spring.lifecycle.timeout-per-shutdown-phase`. */
const springDefaultPhaseSeconds = 30;

/** Reads the app's shutdown settings from the container's env. */
export function appShutdown(container: ContainerView, delay: PreStopDelay): AppShutdown {
  const usesLameduck =
    delay.kind === 'lameduck' ||
    [...container.env.keys(), ...container.envSetElsewhere.keys()].some((name) =>
      name.startsWith('LAMEDUCK_'),
    );
  if (usesLameduck) return { kind: 'lameduck', gracePeriod: lameduckGracePeriod(container) };
  // Spring binds enums whatever their case, and the property from either env name: the
  // documented one (dashes removed) or the legacy one (dashes as underscores).
  if (container.env.get('SERVER_SHUTDOWN')?.trim().toLowerCase() === 'graceful') {
    const phase =
      container.env.get('SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE') ??
      container.env.get('SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE');
    return {
      kind: 'spring',
      phaseTimeoutSeconds:
        (phase === undefined ? undefined : springDurationSeconds(phase)) ??
        springDefaultPhaseSeconds,
    };
  }
  return { kind: 'unknown' };
}

function lameduckGracePeriod(
  container: ContainerView,
): Extract<AppShutdown, { kind: 'lameduck' }>['gracePeriod'] {
  const grace = envValue(container, 'LAMEDUCK_GRACE_PERIOD_SECONDS');
  if (grace.kind === 'elsewhere') return { kind: 'unknown', from: grace.from };
  if (grace.kind === 'unset') {
    const [maybeFrom] = grace.maybeFrom;
    return maybeFrom === undefined
      ? { kind: 'default', seconds: lameduckDefaultGracePeriodSeconds }
      : { kind: 'unknown', from: grace.maybeFrom.join(' or ') };
  }
  // As lameduck reads it: empty is unset.
  if (grace.value.trim() === '') {
    return { kind: 'default', seconds: lameduckDefaultGracePeriodSeconds };
  }
  const parsed = parseLifecycleEnvNumber('LAMEDUCK_GRACE_PERIOD_SECONDS', grace.value);
  if (!parsed.ok) return { kind: 'invalid', text: grace.value };
  const seconds = parsed.value;
  return grace.origin === undefined
    ? { kind: 'set', seconds }
    : { kind: 'set', seconds, origin: grace.origin };
}

/** lameduck's admin port when `LAMEDUCK_ADMIN_PORT` is unset. */
export const lameduckDefaultAdminPort = defaultAdminPort;

/**
 * lameduck's admin port in this container: `LAMEDUCK_ADMIN_PORT`, else 9901; `undefined` when
 * it is set where the manifests do not show (a Secret, a ConfigMap not linted).
 */
export function lameduckAdminPortIfKnown(container: ContainerView): number | undefined {
  const setting = envValue(container, 'LAMEDUCK_ADMIN_PORT');
  if (setting.kind === 'elsewhere') return undefined;
  if (setting.kind === 'unset') {
    return setting.maybeFrom.length === 0 ? lameduckDefaultAdminPort : undefined;
  }
  // A value lameduck refuses stops it from starting; another rule's business, not this port's.
  const port = parseLifecycleEnvNumber('LAMEDUCK_ADMIN_PORT', setting.value);
  return port.ok && port.value > 0 ? port.value : lameduckDefaultAdminPort;
}

/** lameduck's admin port in this container, for fixes: as far as the manifests tell, else 9901. */
export function lameduckAdminPort(container: ContainerView): number {
  return lameduckAdminPortIfKnown(container) ?? lameduckDefaultAdminPort;
}

/** Whether Kubernetes `version` has the native preStop `sleep` action (KEP-3960, beta 1.30). */
export function hasSleepAction(version: readonly [number, number]): boolean {
  return k8sAtLeast(version, 30);
}

/** Whether the Kubernetes version `[major, minor]` is at least `minor` of 1.x. */
export function k8sAtLeast(version: readonly [number, number], minor: number): boolean {
  return version[0] > 1 || (version[0] === 1 && version[1] >= minor);
}
