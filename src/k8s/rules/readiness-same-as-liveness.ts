/**
 * Readiness and liveness probing the same handler: whatever makes the pod not ready (overload, a
 * slow start, a dependency it waits for) also gets its container restarted, so a pod that only needed to
 * leave rotation for a while is killed, with its in-flight requests, and its load moves to the
 * others. Kubernetes documents one safe form for other apps: the same endpoint with a liveness
 * `failureThreshold` high enough that the pod is seen not ready for a while before it is killed
 * (tasks/configure-pod-container/configure-liveness-readiness-startup-probes). lameduck's two
 * endpoints mean different things: `/readyz` is 503 while starting, waiting on a readiness gate
 * and draining, `/livez` stays OK until the process is stuck.
 */
import { portReference, resolveContainerPort } from '../container-ports.js';
import { appContainers, type LintRule, type ManifestFix, type RuleFinding } from '../lint-rule.js';
import { deleteInObject, setInObject, setScalarInObject } from '../manifest-edit.js';
import { isRecord } from '../manifest-loader.js';
import { lameduckAdminPort } from '../shutdown-timing.js';
import type { ContainerView, ProbeView, WorkloadView } from '../workload.js';
import { isLameduckContainer } from './readiness-probe.js';

/** `readiness-same-as-liveness`: one handler for readiness and liveness. */
export const readinessSameAsLivenessRule: LintRule = {
  id: 'readiness-same-as-liveness',
  severity: 'warning',
  summary:
    'readiness and liveness probe the same handler: a pod that should leave rotation is restarted',
  check({ workload }) {
    return appContainers(workload).flatMap((container) => checkContainer(workload, container));
  },
};

function checkContainer(workload: WorkloadView, container: ContainerView): RuleFinding[] {
  const { readinessProbe, livenessProbe } = container;
  if (readinessProbe === undefined || livenessProbe === undefined) return [];
  const handlerOf = (handler: Readonly<Record<string, unknown>>) =>
    canonicalJson(withPortNumbers(handler, container));
  if (handlerOf(readinessProbe.handler) !== handlerOf(livenessProbe.handler)) return [];
  const readinessSeconds = windowSeconds(readinessProbe);
  const livenessSeconds = windowSeconds(livenessProbe);
  const who = `container '${container.name}'`;
  const path = [...container.path, 'livenessProbe'];
  if (isLameduckContainer(container)) {
    return [
      {
        message:
          `${who}: readiness and liveness probe the same handler, but lameduck's /readyz is 503 ` +
          'while the service starts or waits on a readiness gate (its etcd registration) and once ' +
          'it drains: liveness on it restarts a container that is only starting or waiting, and ' +
          'readiness on /livez never takes the pod out. Probe /readyz for readiness and /livez ' +
          'for liveness.',
        path,
        fix: lameduckFix(workload, container, livenessProbe),
      },
    ];
  }
  // The documented pattern: liveness gives up later, so the pod is out of rotation first.
  if (livenessSeconds > readinessSeconds) return [];
  return [
    {
      message:
        `${who}: readiness and liveness probe the same handler and liveness gives up after ` +
        `${livenessSeconds} s, no later than readiness (${readinessSeconds} s): a slow pod is ` +
        'restarted, dropping its in-flight requests, instead of being taken out of rotation. Give ' +
        'liveness its own endpoint that fails only when the process is stuck, or a failureThreshold ' +
        'high enough that readiness fails well before it.',
      path,
    },
  ];
}

/** How long a failing probe takes to be acted on: `failureThreshold × periodSeconds`. */
function windowSeconds(probe: ProbeView): number {
  return probe.failureThreshold * probe.periodSeconds;
}

/**
 * Liveness on /readyz: point it at /livez. Otherwise readiness is the one on the wrong endpoint
 * (often /livez): point it at /readyz on the admin port. Only the handler changes: the probe's
 * period and thresholds are the user's, and a named port stays named.
 */
function lameduckFix(
  workload: WorkloadView,
  container: ContainerView,
  liveness: ProbeView,
): ManifestFix {
  const livenessGet = liveness.handler.httpGet;
  if (isRecord(livenessGet) && livenessGet.path === '/readyz') {
    return {
      description: 'probe /livez for liveness',
      apply: () =>
        setScalarInObject(
          workload.object,
          [...container.path, 'livenessProbe', 'httpGet', 'path'],
          '/livez',
        ),
    };
  }
  const probePath = [...container.path, 'readinessProbe'];
  const adminPort = lameduckAdminPort(container);
  const readinessGet = container.readinessProbe?.handler.httpGet;
  if (!isRecord(readinessGet)) {
    // Another kind of handler (tcpSocket, exec): replace it, and only it, with lameduck's.
    return {
      description: 'probe /readyz for readiness',
      apply: () => {
        for (const kind of Object.keys(container.readinessProbe?.handler ?? {})) {
          deleteInObject(workload.object, [...probePath, kind]);
        }
        setInObject(workload.object, [...probePath, 'httpGet'], {
          path: '/readyz',
          port: portReference(container, adminPort),
        });
      },
    };
  }
  const onAdminPort = resolveContainerPort(container, readinessGet.port).port === adminPort;
  return {
    description: 'probe /readyz for readiness',
    apply: () => {
      setScalarInObject(workload.object, [...probePath, 'httpGet', 'path'], '/readyz');
      if (!onAdminPort) {
        const port = portReference(container, adminPort);
        setScalarInObject(workload.object, [...probePath, 'httpGet', 'port'], port);
      }
    },
  };
}

/**
 * The handler with a named `port` (`httpGet`, `tcpSocket`) replaced by the container port's
 * number, as the kubelet resolves it: `port: http` and `port: 8080` probe the same thing.
 */
function withPortNumbers(
  handler: Readonly<Record<string, unknown>>,
  container: ContainerView,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(handler).map(([kind, action]) => {
      if (!isRecord(action) || typeof action.port !== 'string') return [kind, action];
      const declared = resolveContainerPort(container, action.port).port;
      return [kind, declared === undefined ? action : { ...action, port: declared }];
    }),
  );
}

/** JSON with the keys of every mapping sorted: `{port, path}` and `{path, port}` compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
