/**
 * A preStop `exec` that runs `sleep` needs a `sleep` binary (and often a shell) in the image;
 * since Kubernetes 1.30 (beta, GA in 1.34) the kubelet sleeps itself with the `sleep` action.
 * Distroless images, where the exec cannot work at all, are `prestop-exec-missing-binary`'s.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { setInObject } from '../manifest-edit.js';
import {
  defaultGracePeriodSeconds,
  hasSleepAction,
  isOnlySleep,
  preStopDelay,
} from '../shutdown-timing.js';
import { plannedGraceSeconds, raiseGrace } from './shutdown-budget.js';

/** Reports a preStop exec that only sleeps; the fix swaps it for the native `sleep` action. */
export const prestopExecSleepRule: LintRule = {
  id: 'prestop-exec-sleep',
  severity: 'warning',
  summary: 'a preStop exec runs sleep where the native sleep action exists',
  check({ workload, settings }) {
    if (!hasSleepAction(settings.k8sVersion)) return [];
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const hook = container.preStop;
      const delay = preStopDelay(hook);
      if (delay.kind !== 'fixed' || delay.how === 'sleep-action') return [];
      // A script that also does other work (`nginx -s quit; sleep 5`) cannot become a sleep.
      if (hook?.kind !== 'exec' || !isOnlySleep(hook.command)) return [];
      // The action takes whole seconds: round up, so the delay is never shorter than before.
      const seconds = Math.ceil(delay.seconds);
      const how = delay.how === 'shell-sleep' ? 'a shell running sleep' : 'the sleep binary';
      const hookPath = [...container.path, 'lifecycle', 'preStop'];
      const finding: RuleFinding = {
        message:
          `container '${container.name}': the preStop hook execs ${how}, which the image must ` +
          'contain (distroless and scratch images do not: the hook fails and SIGTERM comes at ' +
          `once). Use the native action \`sleep: {seconds: ${seconds}}\` (Kubernetes 1.30+), ` +
          'which the kubelet runs itself.',
        path: hookPath,
      };
      // A fraction cannot be kept, and rounding it would move the timing shutdown-budget reads.
      if (seconds !== delay.seconds) return [finding];
      // The API server rejects a sleep action longer than the grace period: raise it with the
      // value shutdown-budget's fix sets too, so both fixes agree.
      const graceSeconds = workload.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;
      const plannedSeconds = plannedGraceSeconds(workload);
      const fix = {
        description: `replace the exec with the native sleep action (${seconds} s)`,
        apply: () => {
          setInObject(workload.object, hookPath, { sleep: { seconds } });
          if (seconds > graceSeconds) raiseGrace(workload, plannedSeconds).apply();
        },
      };
      return [{ ...finding, fix }];
    });
  },
};
