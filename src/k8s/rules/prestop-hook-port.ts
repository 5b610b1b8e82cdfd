/**
 * lameduck's preStop hook must reach lameduck's admin server. On another port the kubelet's call
 * is refused at once: the hook "fails" (only a FailedPreStopHook event says so), SIGTERM follows
 * straight away, and lame duck starts while callers still route to the pod. A port name that no
 * container port declares fails the same way. The exec hook (`lameduck prestop`) reads
 * `LAMEDUCK_ADMIN_PORT` as the app does; only a `--port` flag can send it elsewhere.
 */
import { describePort, portReference, resolveContainerPort } from '../container-ports.js';
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { deleteInObject, setInObject } from '../manifest-edit.js';
import { lameduckAdminPortIfKnown, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView, WorkloadView } from '../workload.js';

const consequence =
  'the kubelet’s call fails at once, SIGTERM follows with no lame duck before it, and callers ' +
  'still route to the pod.';

/** `prestop-hook-port`: lameduck's preStop hook aimed at a port lameduck does not serve. */
export const prestopHookPortRule: LintRule = {
  id: 'prestop-hook-port',
  severity: 'error',
  summary:
    'lameduck’s preStop hook (httpGet, or lameduck prestop --port) is sent to a port (or host) lameduck does not serve',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const hook = container.preStop;
      if (preStopDelay(hook).kind !== 'lameduck') return [];
      if (hook?.kind === 'exec') return execHookFindings(workload, container, hook.command);
      if (hook?.kind !== 'httpGet') return [];
      const hookPath = [...container.path, 'lifecycle', 'preStop', 'httpGet'];
      if (hookSentElsewhere(workload, container)) {
        return [
          {
            message:
              `container '${container.name}': the preStop hook is sent to host ${hook.host}, ` +
              'not to the pod: lameduck never gets the call, SIGTERM follows with no lame duck ' +
              'before it, and callers still route to the pod. Remove `host` (the kubelet then ' +
              'calls the pod’s own address).',
            path: [...hookPath, 'host'],
            fix: {
              description: 'remove the hook’s host',
              apply: () => deleteInObject(workload.object, [...hookPath, 'host']),
            },
          },
        ];
      }
      const adminPort = lameduckAdminPortIfKnown(container);
      if (adminPort === undefined) return [];
      const target = resolveContainerPort(container, hook.port);
      if (target.port === adminPort) return [];
      const port = portReference(container, adminPort);
      return [
        {
          message:
            `container '${container.name}': the preStop hook goes to ${describePort(target)}, ` +
            `but lameduck’s admin server listens on ${adminPort}: ${consequence} Send the hook ` +
            `to port ${port}.`,
          path: [...hookPath, 'port'],
          fix: {
            description: `send the preStop hook to port ${port}`,
            apply: () => setInObject(workload.object, [...hookPath, 'port'], port),
          },
        },
      ];
    });
  },
};

/** The exec hook `lameduck prestop` given a `--port` other than the admin port. */
function execHookFindings(
  workload: WorkloadView,
  container: ContainerView,
  command: readonly string[],
): RuleFinding[] {
  const adminPort = lameduckAdminPortIfKnown(container);
  const flag = portFlag(command);
  if (adminPort === undefined || flag === undefined || flag.port === adminPort) return [];
  const commandPath = [...container.path, 'lifecycle', 'preStop', 'exec', 'command'];
  return [
    {
      message:
        `container '${container.name}': the exec preStop hook calls port ${flag.text} ` +
        `(--port), but lameduck’s admin server listens on ${adminPort}: ${consequence} Drop ` +
        '--port: `lameduck prestop` reads LAMEDUCK_ADMIN_PORT from the container’s env, as the ' +
        'app does.',
      path: [...commandPath, flag.indexes[0] ?? 0],
      fix: {
        description: 'drop --port from the exec hook (it reads LAMEDUCK_ADMIN_PORT)',
        // From the last index down, so that the first stays where it was.
        apply: () => {
          for (const index of [...flag.indexes].reverse()) {
            deleteInObject(workload.object, [...commandPath, index]);
          }
        },
      },
    },
  ];
}

/** The `--port N` (or `--port=N`) of a `lameduck prestop` command, with its argv indexes. */
function portFlag(
  command: readonly string[],
): { port: number | undefined; text: string; indexes: number[] } | undefined {
  for (const [index, argument] of command.entries()) {
    const joined = /^--port=(.*)$/.exec(argument);
    const text = joined?.[1] ?? (argument === '--port' ? command[index + 1] : undefined);
    if (text === undefined) continue;
    const port = /^\d+$/.test(text) ? Number(text) : undefined;
    return { port, text, indexes: joined === null ? [index, index + 1] : [index] };
  }
  return undefined;
}

/**
 * Whether `container`'s httpGet preStop names a `host`, which sends it away from the pod (unless
 * the pod is on the host's network, where the node's addresses are its own).
 */
export function hookSentElsewhere(workload: WorkloadView, container: ContainerView): boolean {
  const hook = container.preStop;
  return (
    hook?.kind === 'httpGet' && hook.host !== undefined && workload.podSpec.hostNetwork !== true
  );
}
