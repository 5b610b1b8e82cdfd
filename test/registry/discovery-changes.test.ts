/**
 * What etcdDiscovery's listeners are told, against a real etcd on loopback.
 *
 * 1. Each watch event is told as the change it makes: added, removed (a deleted key, etcd
 *    naming's Op 1), nothing for a record written again unchanged; `endpoints` keeps its identity
 *    while nothing changes.
 * 2. An address named by two keys is removed with its last key.
 * 3. A watch gone silent: the periodic read, and the read after the watch reconnects, tell the
 *    difference they found.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startLocalEtcd } from '../../src/etcd/index.js';
import { etcdDiscovery } from '../../src/registry/etcd-discovery.js';
import type { RegistryFormat } from '../../src/registry/formats.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';
import { recordChanges, silenceWatches } from '../helpers/discovery-changes.js';
import { etcdctl } from '../helpers/etcdctl.js';

const naming = (address: string, op = 0) => JSON.stringify({ Op: op, Addr: address });

async function discoveryOnLocalEtcd(t: TestContext, format: RegistryFormat = 'etcd-naming') {
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const logger = createCaptureLogger();
  const discovery = etcdDiscovery({ endpoints: etcd.endpoints, service: 'echo', format, logger });
  t.after(() => discovery.close());
  return { etcd, discovery, logger, changes: recordChanges(discovery) };
}

test('each watch event is told as its change; a record written again unchanged tells nothing and keeps the snapshot', async (t) => {
  // 1.
  const { etcd, discovery, logger, changes } = await discoveryOnLocalEtcd(t);
  await discovery.whenLoaded();
  await etcdctl(etcd, 'put', 'echo/10.0.0.1:50051', naming('10.0.0.1:50051'));
  assert.deepEqual(await changes.next(), ['added 10.0.0.1:50051']);
  await etcdctl(etcd, 'put', 'echo/10.0.0.2:50051', naming('10.0.0.2:50051'));
  assert.deepEqual(await changes.next(), ['added 10.0.0.2:50051']);
  const snapshot = discovery.endpoints;
  assert.equal(discovery.endpoints, snapshot);
  assert.ok(Object.isFrozen(snapshot));
  // The same record again, then garbage: once the garbage is skipped, the rewrite was seen.
  await etcdctl(etcd, 'put', 'echo/10.0.0.1:50051', naming('10.0.0.1:50051'));
  await etcdctl(etcd, 'put', 'echo/garbage', 'not a registration {');
  await logger.waitFor((r) => r.event === 'registry-record-skipped');
  assert.equal(changes.pending, 0);
  assert.equal(discovery.endpoints, snapshot);
  await etcdctl(etcd, 'put', 'echo/10.0.0.2:50051', naming('10.0.0.2:50051', 1));
  assert.deepEqual(await changes.next(), ['removed 10.0.0.2:50051']);
  await etcdctl(etcd, 'del', 'echo/10.0.0.1:50051');
  assert.deepEqual(await changes.next(), ['removed 10.0.0.1:50051']);
  assert.notEqual(discovery.endpoints, snapshot);
  assert.deepEqual(discovery.endpoints, []);
  assert.equal(snapshot.length, 2, 'a snapshot handed out is never altered');
});

test('an address named by two keys is told removed only with its last key', async (t) => {
  // 2. go-zero keys name the lease: a re-registration leaves two keys for one address a while.
  const { etcd, discovery, changes } = await discoveryOnLocalEtcd(t, 'go-zero');
  await discovery.whenLoaded();
  await etcdctl(etcd, 'put', 'echo/1', '10.0.0.9:50051');
  assert.deepEqual(await changes.next(), ['added 10.0.0.9:50051']);
  await etcdctl(etcd, 'put', 'echo/2', '10.0.0.9:50051');
  await etcdctl(etcd, 'del', 'echo/1');
  await etcdctl(etcd, 'put', 'echo/3', '10.0.0.10:50051');
  // Nothing told between: the second key and the first's deletion changed nothing.
  assert.deepEqual(await changes.next(), ['added 10.0.0.10:50051']);
  await etcdctl(etcd, 'del', 'echo/2');
  assert.deepEqual(await changes.next(), ['removed 10.0.0.9:50051']);
});

test('a silent watch: the periodic read and the read after a reconnect tell the difference they found', async (t) => {
  // 3.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const writer = new Etcd3({ hosts: etcd.endpoints });
  t.after(() => writer.close());
  const silentClient = new Etcd3({ hosts: etcd.endpoints });
  t.after(() => silentClient.close());
  const watches = silenceWatches(silentClient);
  await writer.put('echo/10.0.0.1:50051').value(naming('10.0.0.1:50051'));
  await writer.put('echo/10.0.0.2:50051').value(naming('10.0.0.2:50051'));
  const logger = createCaptureLogger();
  const discovery = etcdDiscovery({ client: silentClient, service: 'echo', logger });
  t.after(() => discovery.close());
  const changes = recordChanges(discovery);
  assert.deepEqual(await changes.next(), ['added 10.0.0.1:50051', 'added 10.0.0.2:50051']);

  // The reconnect: a fresh read once the watch says it is back.
  await writer.delete().key('echo/10.0.0.1:50051');
  await writer.put('echo/10.0.0.3:50051').value(naming('10.0.0.3:50051'));
  const [watch] = watches;
  assert.ok(watch);
  watch.emit('disconnected', new Error('test: cut'));
  watch.emit('connected', {});
  assert.deepEqual(await changes.next(), ['added 10.0.0.3:50051', 'removed 10.0.0.1:50051']);
  assert.deepEqual(
    discovery.endpoints.map((e) => e.address),
    ['10.0.0.2:50051', '10.0.0.3:50051'],
  );

  // The periodic read (a discovery of its own: the first one's resync is 30 s away).
  const fast = etcdDiscovery({
    client: silentClient,
    service: 'echo',
    logger,
    resyncIntervalMs: 50,
  });
  t.after(() => fast.close());
  await fast.whenLoaded();
  const fastChanges = recordChanges(fast);
  await writer
    .put('echo/10.0.0.2:50051')
    .value(JSON.stringify({ Addr: '10.0.0.2:50051', Metadata: 'v2' }));
  assert.deepEqual(await fastChanges.next(), ['updated 10.0.0.2:50051']);
  assert.equal(fast.endpoints.find((e) => e.address === '10.0.0.2:50051')?.metadata, 'v2');
});
