import {
  type ClientReadableStream,
  credentials,
  makeClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import type {
  HealthCheckResponse,
  HealthListResponse,
  ServingStatus,
} from '../../src/grpc/health-proto.js';
import { loadHealthServiceDefinition } from '../../src/grpc/health-proto.js';

const HealthClient = makeClientConstructor(loadHealthServiceDefinition(), 'grpc.health.v1.Health');

/** A `grpc.health.v1.Health` client; `userAgent` as the kubelet's probe sends it, if given. */
export function createHealthClient(target: string, userAgent?: string) {
  const client = new HealthClient(
    target,
    credentials.createInsecure(),
    userAgent === undefined ? {} : { 'grpc.primary_user_agent': userAgent },
  );
  const unary = <T>(method: string, request: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const call = client[method] as (
        request: object,
        callback: (error: ServiceError | null, response: T) => void,
      ) => void;
      call.call(client, request, (error, response) => {
        if (error !== null) reject(error);
        else resolve(response);
      });
    });
  return {
    client,
    check: async (service = ''): Promise<ServingStatus> =>
      (await unary<HealthCheckResponse>('Check', { service })).status,
    list: (): Promise<HealthListResponse> => unary<HealthListResponse>('List', {}),
    watch: (service: string): ClientReadableStream<HealthCheckResponse> =>
      (client.Watch as (request: object) => ClientReadableStream<HealthCheckResponse>).call(
        client,
        { service },
      ),
    close: () => client.close(),
  };
}
