/**
 * A Service with `publishNotReadyAddresses: true` marks every selected pod's endpoint ready,
 * whatever its readiness, terminating pods included (EndpointConditions: "ready should never be
 * true for terminating endpoints, except when … publishNotReadyAddresses"). kube-proxy then keeps
 * sending new connections to a pod through its whole shutdown, and to a new pod before it
 * listens: readiness, preStop delays and lame duck cannot take it out of rotation.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';

/** `publish-not-ready-addresses`: a Service that routes to pods regardless of readiness. */
export const publishNotReadyAddressesRule: LintRule = {
  id: 'publish-not-ready-addresses',
  severity: 'error',
  summary: 'a Service publishes not-ready and terminating pods, so traffic never leaves them',
  check({ workload, services }) {
    return services.flatMap((service): RuleFinding[] => {
      if (!service.publishNotReadyAddresses) return [];
      const name = `Service ${service.object.name}`;
      const at = service.object.locate(['spec', 'publishNotReadyAddresses']);
      // A headless Service with it is the usual way StatefulSet peers find each other before
      // they are ready: a problem only when callers also use it to send requests.
      if (service.headless) {
        return [
          {
            message:
              `${name} is headless with publishNotReadyAddresses: DNS returns ${workload.kind} ` +
              `${workload.name}'s pods while they start and while they shut down. Fine for peer ` +
              'discovery; callers that send requests must use another Service, without it.',
            path: ['metadata', 'name'],
            at,
            severity: 'info',
          },
        ];
      }
      return [
        {
          message:
            `${name} sets publishNotReadyAddresses, so ${workload.kind} ${workload.name}'s pods ` +
            'stay in its endpoints while they start and through their whole shutdown: ' +
            'requests reach pods that are not listening yet, or no longer. Remove it (a ' +
            'separate headless Service can publish not-ready pods for peer discovery).',
          path: ['metadata', 'name'],
          at,
        },
      ];
    });
  },
};
