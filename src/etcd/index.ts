/**
 * Local etcd for tests: start a throw-away single member or cluster on free 127.0.0.1 ports,
 * wait until it is healthy, and remove every trace on `stop()` or when this process dies.
 */
export type { LocalEtcdClientTls, LocalEtcdMember } from './etcd-member.js';
export { findFreePorts } from './free-port.js';
export {
  type LocalEtcd,
  type LocalEtcdOptions,
  localEtcdDefaults,
  startLocalEtcd,
  startLocalEtcdCluster,
} from './local-etcd.js';
