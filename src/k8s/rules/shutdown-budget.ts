/**
 * The shutdown timing must fit the grace period: the preStop hook's time, then the app's own
 * shutdown after SIGTERM, all before the kubelet's SIGKILL at `terminationGracePeriodSeconds`.
 */

import { maxGracePeriodSeconds } from '../../lifecycle/lifecycle-options.js';
import {
  appContainers,
  type LintRule,
  type ManifestFix,
  type RuleFinding,
  type Severity,
  type WorkloadContext,
} from '../lint-rule.js';
import { setContainerEnv, setInObject } from '../manifest-edit.js';
import type { ManifestPath } from '../manifest-loader.js';
import { appShutdown, defaultGracePeriodSeconds, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView, WorkloadView } from '../workload.js';

/** Seconds left between the planned end of shutdown and SIGKILL, for apps that plan none. */
const marginSeconds = 2;

export const shutdownBudgetRule: LintRule = {
  id: 'shutdown-budget',
  severity: 'error',
  summary: 'the preStop delay plus the app’s shutdown must fit in terminationGracePeriodSeconds',
  check(context) {
    const plannedSeconds = plannedGraceSeconds(context.workload);
    return appContainers(context.workload).flatMap((container) =>
      checkContainer(context, container, plannedSeconds),
    );
  },
};

/**
 * The grace period every app container's shutdown fits in: the current one, or the longest any
 * container needs. Every fix that sets the grace period sets this one value, so fixes for two
 * containers (or two rules) agree, and settings derived from it are made against it.
 */
export function plannedGraceSeconds(workload: WorkloadView): number {
  const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
  return Math.max(
    graceSeconds,
    ...appContainers(workload).map((container) => neededGraceSeconds(container, graceSeconds)),
  );
}

/** The grace period `container` needs, given the current one; 0 when it fits. */
function neededGraceSeconds(container: ContainerView, graceSeconds: number): number {
  const delay = preStopDelay(container.preStop);
  const app = appShutdown(container, delay);
  const hookSeconds = delay.kind === 'fixed' ? delay.seconds : 0;
  // A sleep that takes the whole grace period: room for it, the margin and 10 s of shutdown.
  const forSleep =
    delay.kind === 'fixed' && hookSeconds >= graceSeconds ? hookSeconds + marginSeconds + 10 : 0;
  const forSpring =
    app.kind === 'spring' ? hookSeconds + app.phaseTimeoutSeconds + marginSeconds : 0;
  const needed = Math.ceil(Math.max(forSleep, forSpring));
  return needed > graceSeconds ? needed : 0;
}

function checkContainer(
  { workload }: WorkloadContext,
  container: ContainerView,
  plannedSeconds: number,
): RuleFinding[] {
  const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
  const graceText =
    workload.terminationGracePeriodSeconds === undefined
      ? `the default terminationGracePeriodSeconds (${graceSeconds} s)`
      : `terminationGracePeriodSeconds (${graceSeconds} s)`;
  const delay = preStopDelay(container.preStop);
  const app = appShutdown(container, delay);
  const hookSeconds = delay.kind === 'fixed' ? delay.seconds : 0;
  const who = `container '${container.name}'`;
  // What lameduck's own budget must be: the grace period (as it will be) less a fixed sleep,
  // since lameduck's hook starts its budget at the hook and after a sleep it starts at SIGTERM.
  const lameduckSeconds = plannedSeconds - hookSeconds;
  const setLameduckGrace = () =>
    setContainerEnv(
      workload.object,
      container,
      'LAMEDUCK_GRACE_PERIOD_SECONDS',
      String(lameduckSeconds),
    );

  if (delay.kind === 'fixed' && hookSeconds >= graceSeconds) {
    const raise = raiseGrace(workload, plannedSeconds);
    return [
      {
        message:
          `${who}: the preStop hook sleeps ${hookSeconds} s, all of ${graceText}: SIGTERM comes ` +
          'with only the kubelet’s extra 2 s left and in-flight requests are killed. Shorten the ' +
          'sleep (lameduck’s httpGet hook ends when traffic is quiet) or raise the grace period.',
        path: [...container.path, 'lifecycle', 'preStop'],
        fix:
          app.kind === 'lameduck' && app.gracePeriod.kind !== 'unknown'
            ? {
                description: `${raise.description}, and LAMEDUCK_GRACE_PERIOD_SECONDS to ${lameduckSeconds}`,
                apply: () => {
                  raise.apply();
                  setLameduckGrace();
                },
              }
            : raise,
      },
    ];
  }
  if (app.kind === 'lameduck') {
    const expectedSeconds = lameduckSeconds;
    const { gracePeriod } = app;
    if (gracePeriod.kind !== 'unknown' && gracePeriod.kind !== 'invalid') {
      if (gracePeriod.seconds === expectedSeconds) return [];
    }
    const after = hookSeconds > 0 ? `, less the preStop sleep of ${hookSeconds} s,` : '';
    // Another container's fix raises the grace period: say so, the number comes from it.
    const planned =
      plannedSeconds === graceSeconds
        ? graceText
        : `${graceText}, raised to ${plannedSeconds} s by its fix`;
    const fix = {
      description: `set LAMEDUCK_GRACE_PERIOD_SECONDS to ${expectedSeconds}`,
      apply: setLameduckGrace,
    };
    const finding = (problem: string, severity?: Severity): RuleFinding => ({
      message:
        `${who}: ${problem}; ${planned}${after} leaves ${expectedSeconds} s. ` +
        `Set LAMEDUCK_GRACE_PERIOD_SECONDS to ${expectedSeconds}` +
        (hookSeconds > 0 ? ', or replace the sleep with lameduck’s httpGet preStop.' : '.'),
      path: [
        ...container.path,
        'env',
        container.envIndexes.get('LAMEDUCK_GRACE_PERIOD_SECONDS') ?? -1,
        'value',
      ],
      // A value the manifests do not show is the user's to check, not ours to override.
      ...(severity === undefined ? { fix } : { severity }),
    });
    switch (gracePeriod.kind) {
      case 'unknown':
        return [
          finding(
            `LAMEDUCK_GRACE_PERIOD_SECONDS comes from ${gracePeriod.from}, which is not among ` +
              'the manifests linted, so it cannot be checked against the grace period (lint ' +
              'it too, or set the value in the container)',
            'info',
          ),
        ];
      case 'invalid':
        return [
          finding(
            `LAMEDUCK_GRACE_PERIOD_SECONDS is '${gracePeriod.text}', not a whole decimal number ` +
              `of seconds from 1 to ${maxGracePeriodSeconds}: lameduck refuses to start`,
          ),
        ];
      case 'set':
      case 'default': {
        const setting =
          gracePeriod.kind === 'set'
            ? `LAMEDUCK_GRACE_PERIOD_SECONDS is ${gracePeriod.seconds}` +
              (gracePeriod.origin === undefined ? '' : ` (from ${gracePeriod.origin.source})`)
            : `LAMEDUCK_GRACE_PERIOD_SECONDS is unset (lameduck assumes ${gracePeriod.seconds})`;
        const consequence =
          gracePeriod.seconds > expectedSeconds
            ? 'lameduck plans a shutdown that SIGKILL cuts short'
            : 'lameduck gives up on slow requests earlier than it needs to';
        const found = finding(`${setting}: ${consequence}`);
        // Point at the ConfigMap key that sets it; the fix still sets it in the container.
        const at = gracePeriod.kind === 'set' ? gracePeriod.origin?.location : undefined;
        return [at === undefined ? found : { ...found, at }];
      }
    }
  }
  if (app.kind === 'spring') {
    const neededSeconds = hookSeconds + app.phaseTimeoutSeconds + marginSeconds;
    if (neededSeconds <= graceSeconds) return [];
    return [
      {
        message:
          `${who}: the preStop delay (${hookSeconds} s) plus Spring’s timeout-per-shutdown-phase ` +
          `(${app.phaseTimeoutSeconds} s) and a ${marginSeconds} s margin need ${neededSeconds} s, more than ` +
          `${graceText}: SIGKILL ends the graceful shutdown. Raise the grace period to ${neededSeconds} or ` +
          'shorten the phase timeout.',
        path: gracePath(workload),
        fix: raiseGrace(workload, plannedSeconds),
      },
    ];
  }
  return [];
}

/** The fix that sets the workload's `terminationGracePeriodSeconds` to `seconds`. */
export function raiseGrace(workload: WorkloadView, seconds: number): ManifestFix {
  return {
    description: `set terminationGracePeriodSeconds to ${seconds}`,
    apply: () => setInObject(workload.object, gracePath(workload), seconds),
  };
}

function gracePath(workload: WorkloadView): ManifestPath {
  return [...workload.podSpecPath, 'terminationGracePeriodSeconds'];
}
