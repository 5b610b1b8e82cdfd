export { type EtcdConnection, etcdClientOptions } from './etcd-client.js';
export {
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
