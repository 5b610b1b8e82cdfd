export type { CallTracker, MethodCounts, TrackedCall } from './call-tracker.js';
export {
  defaultEtcdServiceConfig,
  type EtcdResolverOptions,
  type EtcdResolverRegistration,
  etcdChannelOptions,
  etcdResolverDefaults,
  type IdempotentMethod,
  registerEtcdResolver,
} from './etcd-resolver.js';
export { createGrpcHealth, type DeclaredStatus, type GrpcHealth } from './health.js';
export type { ServingStatus } from './health-proto.js';
export {
  drainGrpcServer,
  type GrpcDrainOptions,
  type GrpcDrainParticipant,
  grpcDrainDefaults,
} from './server-drain.js';
