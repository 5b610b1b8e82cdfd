/**
 * `lameduck/grpc`: the gRPC server drain and its health service. Needs `@grpc/grpc-js` 1.11 or
 * later and `@grpc/proto-loader` (optional peer dependencies: an app without gRPC installs
 * neither). The `etcd:///` resolver is in `lameduck/etcd`.
 *
 * @packageDocumentation
 */
export type { CallTracker, MethodCounts, TrackedCall } from './call-tracker.js';
export { createGrpcHealth, type DeclaredStatus, type GrpcHealth } from './health.js';
export type { ServingStatus } from './health-proto.js';
export {
  drainGrpcServer,
  type GrpcDrainOptions,
  type GrpcDrainParticipant,
  grpcDrainDefaults,
} from './server-drain.js';
