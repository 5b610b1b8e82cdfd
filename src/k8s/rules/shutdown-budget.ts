/**
 * The shutdown timing must fit the grace period: the preStop hook's time, then the app's own
 * shutdown after SIGTERM, all before the kubelet's SIGKILL at `terminationGracePeriodSeconds`.
 */
import {
  appContainers,
  type LintRule,
  type RuleFinding,
  type Severity,
  type WorkloadContext,
} from '../lint-rule.js';
import { setContainerEnv, setInObject } from '../manifest-edit.js';
import { appShutdown, defaultGracePeriodSeconds, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView } from '../workload.js';

/** Seconds left between the planned end of shutdown and SIGKILL, for apps that plan none. */
const marginSeconds = 2;

export const shutdownBudgetRule: LintRule = {
  id: 'shutdown-budget',
  severity: 'error',
  summary: 'the preStop delay plus the app’s shutdown must fit in terminationGracePeriodSeconds',
  check(context) {
    return appContainers(context.workload).flatMap((container) =>
      checkContainer(context, container),
    );
  },
};

function checkContainer(context: WorkloadContext, container: ContainerView): RuleFinding[] {
  const { workload } = context;
  const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
  const graceText =
    workload.terminationGracePeriodSeconds === undefined
      ? `the default terminationGracePeriodSeconds (${graceSeconds} s)`
      : `terminationGracePeriodSeconds (${graceSeconds} s)`;
  const gracePath = [...workload.podSpecPath, 'terminationGracePeriodSeconds'];
  const delay = preStopDelay(container.preStop);
  const app = appShutdown(container, delay);
  const hookSeconds = delay.kind === 'fixed' ? delay.seconds : 0;
  const who = `container '${container.name}'`;

  if (delay.kind === 'fixed' && hookSeconds >= graceSeconds) {
    return [
      {
        message:
          `${who}: the preStop hook sleeps ${hookSeconds} s, all of ${graceText}: SIGTERM comes ` +
          'with only the kubelet’s extra 2 s left and in-flight requests are killed. Shorten the ' +
          'sleep (lameduck’s httpGet hook ends when traffic is quiet) or raise the grace period.',
        path: [...container.path, 'lifecycle', 'preStop'],
        fix: raiseGrace(context, hookSeconds + marginSeconds + 10),
      },
    ];
  }
  if (app.kind === 'lameduck') {
    // lameduck's hook starts its budget at the hook; after a sleep it starts at SIGTERM.
    const expectedSeconds = graceSeconds - hookSeconds;
    const { gracePeriod } = app;
    if (gracePeriod.kind !== 'unknown' && gracePeriod.kind !== 'invalid') {
      if (gracePeriod.seconds === expectedSeconds) return [];
    }
    const after = hookSeconds > 0 ? `, less the preStop sleep of ${hookSeconds} s,` : '';
    const fix = {
      description: `set LAMEDUCK_GRACE_PERIOD_SECONDS to ${expectedSeconds}`,
      apply: () =>
        setContainerEnv(
          workload.object,
          container,
          'LAMEDUCK_GRACE_PERIOD_SECONDS',
          String(expectedSeconds),
        ),
    };
    const finding = (problem: string, severity?: Severity): RuleFinding => ({
      message:
        `${who}: ${problem}; ${graceText}${after} leaves ${expectedSeconds} s. ` +
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
            `LAMEDUCK_GRACE_PERIOD_SECONDS is '${gracePeriod.text}', not a number of seconds: ` +
              'lameduck refuses to start',
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
        path: gracePath,
        fix: raiseGrace(context, neededSeconds),
      },
    ];
  }
  return [];
}

function raiseGrace(context: WorkloadContext, seconds: number) {
  const { workload } = context;
  return {
    description: `set terminationGracePeriodSeconds to ${seconds}`,
    apply: () =>
      setInObject(
        workload.object,
        [...workload.podSpecPath, 'terminationGracePeriodSeconds'],
        seconds,
      ),
  };
}
