/**
 * A Service port whose `targetPort` is a name only reaches pods that declare a container port of
 * that name: the EndpointSlice controller leaves the others out of that port's endpoints, so a
 * typo or a renamed port silently takes every pod of the workload out of rotation.
 */
import type { LintRule, RuleFinding } from '../lint-rule.js';

/** `service-target-port`: a Service's named targetPort that the selected pods do not declare. */
export const serviceTargetPortRule: LintRule = {
  id: 'service-target-port',
  severity: 'error',
  summary: 'a Service targets a port name that the selected pods do not declare',
  check({ workload, services }) {
    return services.flatMap((service) =>
      service.namedTargetPorts.flatMap(({ name, path }): RuleFinding[] => {
        if (workload.portNames.has(name)) return [];
        const declared = [...workload.portNames].map((port) => `'${port}'`).join(', ');
        return [
          {
            message:
              `Service ${service.object.name} sends to targetPort '${name}', but no container of ` +
              `${workload.kind} ${workload.name} declares a port of that name ` +
              `(${declared === '' ? 'none is named' : `named: ${declared}`}): its pods get no ` +
              'endpoint for it, and requests to that port never reach them. Name the ' +
              'container port, or target the port by number.',
            path: workload.podSpecPath,
            at: service.object.locate(path),
          },
        ];
      }),
    );
  },
};
