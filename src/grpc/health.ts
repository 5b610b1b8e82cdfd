import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListResponse,
  loadHealthServiceDefinition,
  type ServingStatus,
} from './health-proto.js';

/** A status a service can declare; what callers see is also gated by the lifecycle. */
export type DeclaredStatus = 'SERVING' | 'NOT_SERVING';

/**
 * A `grpc.health.v1.Health` service tied to the lifecycle: every service reads NOT_SERVING until
 * the lifecycle serves and again from lame duck on, whatever was declared. Watch streams get each
 * change and are ended (status OK) when draining starts, so they never hold the shutdown.
 */
export interface GrpcHealth {
  /** Declares a service's status. The empty name is the server as a whole, declared SERVING. */
  setStatus(service: string, status: DeclaredStatus): void;
  /** What a caller sees for `service` now; `undefined` for a service never declared. */
  statusOf(service: string): Exclude<ServingStatus, 'SERVICE_UNKNOWN'> | undefined;
  /** The service definition, for `server.addService`. */
  readonly definition: ServiceDefinition;
  /** The handlers, for `server.addService`. */
  readonly implementation: UntypedServiceImplementation;
  /** Opens (true) or closes (false) the lifecycle's gate. Called by the gRPC participant. */
  setLifecycleServing(serving: boolean): void;
  /** Sends each Watch its last status and ends it with OK; later Watches end at once. */
  endWatches(): void;
}

interface Watcher {
  service: string;
  last: ServingStatus | undefined;
  call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
}

/** Makes a {@link GrpcHealth}; the whole server (`''`) starts declared SERVING, gate closed. */
export function createGrpcHealth(): GrpcHealth {
  const declared = new Map<string, DeclaredStatus>([['', 'SERVING']]);
  const watchers = new Set<Watcher>();
  let lifecycleServing = false;
  let watchesEnded = false;

  const statusOf = (service: string): Exclude<ServingStatus, 'SERVICE_UNKNOWN'> | undefined => {
    const status = declared.get(service);
    if (status === undefined) return undefined;
    return lifecycleServing ? status : 'NOT_SERVING';
  };
  const push = (watcher: Watcher): void => {
    const status = statusOf(watcher.service) ?? 'SERVICE_UNKNOWN';
    if (status === watcher.last) return;
    watcher.last = status;
    watcher.call.write({ status });
  };
  const pushAll = (): void => {
    for (const watcher of watchers) push(watcher);
  };
  const endWatch = (watcher: Watcher): void => {
    push(watcher);
    watcher.call.end();
  };

  const implementation: UntypedServiceImplementation = {
    Check(
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) {
      const service = call.request.service;
      const status = statusOf(service);
      if (status === undefined) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service '${service}'` });
      } else {
        callback(null, { status });
      }
    },
    List(
      _call: ServerUnaryCall<unknown, HealthListResponse>,
      callback: sendUnaryData<HealthListResponse>,
    ) {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const service of declared.keys()) {
        statuses[service] = { status: statusOf(service) ?? 'UNKNOWN' };
      }
      callback(null, { statuses });
    },
    Watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      const watcher: Watcher = { service: call.request.service, last: undefined, call };
      if (watchesEnded) {
        endWatch(watcher);
        return;
      }
      watchers.add(watcher);
      call.once('cancelled', () => watchers.delete(watcher));
      push(watcher);
    },
  };

  return {
    setStatus(service, status) {
      declared.set(service, status);
      pushAll();
    },
    statusOf,
    definition: loadHealthServiceDefinition(),
    implementation,
    setLifecycleServing(serving) {
      lifecycleServing = serving;
      pushAll();
    },
    endWatches() {
      watchesEnded = true;
      for (const watcher of watchers) endWatch(watcher);
      watchers.clear();
    },
  };
}
