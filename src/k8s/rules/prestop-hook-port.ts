/**
 * lameduck's httpGet preStop must reach lameduck's admin server. On another port the kubelet's
 * call is refused at once: the hook "fails" (only a FailedPreStopHook event says so), SIGTERM
 * follows straight away, and lame duck starts while callers still route to the pod. A port name
 * that no container port declares fails the same way.
 */
import { appContainers, type LintRule, type RuleFinding } from '../lint-rule.js';
import { deleteInObject, setInObject } from '../manifest-edit.js';
import { lameduckAdminPortIfKnown, preStopDelay } from '../shutdown-timing.js';
import type { ContainerView, WorkloadView } from '../workload.js';

/** `prestop-hook-port`: lameduck's httpGet preStop aimed at a port lameduck does not serve. */
export const prestopHookPortRule: LintRule = {
  id: 'prestop-hook-port',
  severity: 'error',
  summary:
    'the httpGet preStop to /lameduck/prestop is sent to a port (or host) lameduck does not serve',
  check({ workload }) {
    return appContainers(workload).flatMap((container): RuleFinding[] => {
      const hook = container.preStop;
      if (hook?.kind !== 'httpGet' || preStopDelay(hook).kind !== 'lameduck') return [];
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
      const target = resolvePort(container, hook.port);
      if (target.port === adminPort) return [];
      const problem =
        target.port === undefined
          ? `names port '${String(hook.port)}', which no port of the container declares`
          : `goes to port ${target.port}${target.name === undefined ? '' : ` ('${target.name}')`}`;
      return [
        {
          message:
            `container '${container.name}': the preStop hook ${problem}, but lameduck’s admin ` +
            `server listens on ${adminPort}: the kubelet’s call fails at once, SIGTERM follows ` +
            'with no lame duck before it, and callers still route to the pod. Send the hook to ' +
            `port ${adminPort}.`,
          path: [...hookPath, 'port'],
          fix: {
            description: `send the preStop hook to port ${adminPort}`,
            apply: () => setInObject(workload.object, [...hookPath, 'port'], adminPort),
          },
        },
      ];
    });
  },
};

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

/** The port number an httpGet `port` (a number or a container port's name) comes to. */
function resolvePort(
  container: ContainerView,
  port: string | number | undefined,
): { port: number | undefined; name?: string } {
  if (typeof port === 'number') return { port };
  if (port === undefined) return { port: undefined };
  if (/^\d+$/.test(port)) return { port: Number(port) };
  const declared = container.ports.find((candidate) => candidate.name === port);
  return { port: declared?.containerPort, name: port };
}
