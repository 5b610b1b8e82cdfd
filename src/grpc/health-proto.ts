import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

/**
 * The `grpc.health.v1` schema as a protobuf.js JSON descriptor, so that no `.proto` file has to
 * be found on disk at run time. Field numbers and names follow the canonical definition:
 * https://github.com/grpc/grpc-proto/blob/master/grpc/health/v1/health.proto
 */
const healthDescriptor = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: {
                      values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
                    },
                  },
                },
                HealthListRequest: { fields: {} },
                HealthListResponse: {
                  fields: {
                    statuses: { keyType: 'string', type: 'HealthCheckResponse', id: 1 },
                  },
                },
                Health: {
                  methods: {
                    Check: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                    },
                    List: { requestType: 'HealthListRequest', responseType: 'HealthListResponse' },
                    Watch: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      responseStream: true,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** What a health response says about a service, as the wire's enum names. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** `grpc.health.v1.HealthCheckRequest`. */
export interface HealthCheckRequest {
  service: string;
}

/** `grpc.health.v1.HealthCheckResponse`. */
export interface HealthCheckResponse {
  status: ServingStatus;
}

/** `grpc.health.v1.HealthListResponse`. */
export interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

/** The full method path prefix of the health service, for telling probes apart. */
export const healthServicePathPrefix = '/grpc.health.v1.Health/';

type HealthPackage = {
  grpc: { health: { v1: { Health: { service: ServiceDefinition } } } };
};

/** Loads the `grpc.health.v1.Health` service definition (enums as their names). */
export function loadHealthServiceDefinition(): ServiceDefinition {
  // protobuf.js's descriptor types are a union TypeScript cannot narrow a literal to.
  const packageDefinition = fromJSON(healthDescriptor as Parameters<typeof fromJSON>[0], {
    enums: String,
    defaults: true,
    keepCase: true,
  });
  const loaded = loadPackageDefinition(packageDefinition) as unknown as HealthPackage;
  return loaded.grpc.health.v1.Health.service;
}
