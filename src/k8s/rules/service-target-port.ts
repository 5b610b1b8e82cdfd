/**
 * A Service port whose `targetPort` is a name only reaches pods that declare a container port of
 * that name and protocol (EndpointSlice controller, FindPort): the others are left out of that
 * port's endpoints, so a typo, a renamed port or a UDP port behind a TCP Service port silently
 * takes every pod of the workload out of rotation. A name made of digits (`"8080"`) is no port
 * name at all: the API server rejects the Service.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';

/** `service-target-port`: a Service's named targetPort that the selected pods do not declare. */
export const serviceTargetPortRule: LintRule = {
  id: 'service-target-port',
  severity: 'error',
  summary: 'a Service targets a port name that the selected pods do not declare',
  check({ workload, services }) {
    return services.flatMap((service) =>
      service.targetPorts.flatMap(({ targetPort, protocol, path }): RuleFinding[] => {
        if (typeof targetPort !== 'string') return [];
        const at = service.object.locate(path);
        const who = `Service ${service.object.name}`;
        if (/^\d+$/.test(targetPort)) {
          return [
            {
              message:
                `${who}: targetPort "${targetPort}" is a string, so it is read as a port name, ` +
                'and a name needs a letter: the API server rejects the Service. Write the ' +
                `number without quotes: targetPort: ${targetPort}.`,
              path: workload.podSpecPath,
              at,
            },
          ];
        }
        const declared = workload.namedPorts;
        if (declared.some((port) => port.name === targetPort && port.protocol === protocol)) {
          return [];
        }
        const otherProtocol = declared.find((port) => port.name === targetPort);
        const problem =
          otherProtocol === undefined
            ? `no container of ${workload.kind} ${workload.name} declares a port of that name ` +
              `(${declared.length === 0 ? 'none is named' : `named: ${declared.map((port) => `'${port.name}'`).join(', ')}`})`
            : `${workload.kind} ${workload.name} declares '${targetPort}' for ${otherProtocol.protocol}, ` +
              `and this Service port is ${protocol}`;
        return [
          {
            message:
              `${who} sends to targetPort '${targetPort}', but ${problem}: its pods get no ` +
              'endpoint for it, and requests to that port never reach them. Name the ' +
              'container port, or target the port by number.',
            path: workload.podSpecPath,
            at,
          },
        ];
      }),
    );
  },
};
