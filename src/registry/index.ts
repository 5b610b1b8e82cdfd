/**
 * `lameduck/etcd`: registration in etcd as a lifecycle participant, discovery, and the
 * `etcd:///` resolver for grpc-js channels. Needs `etcd3` (and `@grpc/grpc-js`, which etcd3
 * brings, 1.14 or later for the resolver): optional peer dependencies, so that an app without
 * etcd installs neither.
 *
 * @packageDocumentation
 */
export {
  defaultEtcdServiceConfig,
  type EtcdResolverOptions,
  type EtcdResolverRegistration,
  etcdChannelOptions,
  etcdResolverDefaults,
  type IdempotentMethod,
  registerEtcdResolver,
} from '../grpc/etcd-resolver.js';
export type { EndpointChange } from './endpoint-set.js';
export { type EtcdConnection, etcdClientOptions } from './etcd-client.js';
export {
  type EndpointListener,
  type EtcdDiscovery,
  type EtcdDiscoveryOptions,
  etcdDiscovery,
  etcdDiscoveryDefaults,
} from './etcd-discovery.js';
export {
  type EtcdRegistrationOptions,
  type EtcdRegistrationParticipant,
  etcdRegistration,
  etcdRegistrationDefaults,
} from './etcd-registration.js';
export {
  type DecodedRecord,
  parseHostPort,
  type RegistryCodec,
  type RegistryFormat,
  type RegistryRecord,
  registryCodec,
  registryFormats,
  type ServiceEndpoint,
} from './formats.js';
