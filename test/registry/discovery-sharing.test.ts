/**
 * Discoveries sharing one read and one watch, against a real etcd on loopback.
 *
 * 1. Discoveries of a service over one client read the prefix once and watch it once; each is
 *    told every change, and the discovery events are logged once per logger.
 * 2. Closing one leaves the others working; the last close cancels the watch and leaves the
 *    caller's client open; a discovery made after that reads and watches afresh.
 * 3. Discoveries with other timing options, or of another service, do not share.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startLocalEtcd } from '../../src/etcd/index.js';
import { etcdDiscovery } from '../../src/registry/etcd-discovery.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';
import { countClientCalls, recordChanges } from '../helpers/discovery-changes.js';

const naming = (address: string) => JSON.stringify({ Op: 0, Addr: address });

/**
 * A local etcd holding one instance of `echo`, a client to write and one to share. `cleanup`
 * adds to what runs after the test, last added first: discoveries close before their client,
 * which closes before etcd stops.
 */
async function sharedClient(t: TestContext) {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const etcd = await startLocalEtcd();
  cleanups.push(() => etcd.stop());
  const writer = new Etcd3({ hosts: etcd.endpoints });
  const client = new Etcd3({ hosts: etcd.endpoints });
  cleanups.push(
    () => writer.close(),
    () => client.close(),
  );
  await writer.put('echo/10.0.0.1:50051').value(naming('10.0.0.1:50051'));
  return {
    writer,
    client,
    calls: countClientCalls(client),
    cleanup: (step: () => unknown) => cleanups.push(step),
  };
}

test('discoveries of a service over one client share one read and one watch; each is told every change', async (t) => {
  // 1.
  const { writer, client, calls, cleanup } = await sharedClient(t);
  const logger = createCaptureLogger();
  const discoveries = Array.from({ length: 3 }, () =>
    etcdDiscovery({ client, service: 'echo', logger }),
  );
  cleanup(() => Promise.all(discoveries.map((d) => d.close())));
  await Promise.all(discoveries.map((d) => d.whenLoaded()));
  const recorders = discoveries.map(recordChanges);
  await writer.put('echo/10.0.0.2:50051').value(naming('10.0.0.2:50051'));
  for (const recorder of recorders)
    assert.deepEqual(await recorder.next(), ['added 10.0.0.2:50051']);
  assert.equal(calls.reads, 1);
  assert.equal(calls.watchesCreated, 1);
  const [first, second] = discoveries;
  assert.ok(first && second);
  assert.equal(first.endpoints, second.endpoints, 'one snapshot for all');
  assert.equal(logger.records.filter((r) => r.event === 'discovery-loaded').length, 1);
});

test('closing one discovery leaves the others working; the last close cancels the watch, not the client', async (t) => {
  // 2.
  const { writer, client, calls, cleanup } = await sharedClient(t);
  const logger = createCaptureLogger();
  const kept = etcdDiscovery({ client, service: 'echo', logger });
  const closed = etcdDiscovery({ client, service: 'echo', logger });
  await Promise.all([kept.whenLoaded(), closed.whenLoaded()]);
  const keptChanges = recordChanges(kept);
  const closedChanges = recordChanges(closed);
  await closed.close();
  await closed.close();
  await writer.put('echo/10.0.0.2:50051').value(naming('10.0.0.2:50051'));
  assert.deepEqual(await keptChanges.next(), ['added 10.0.0.2:50051']);
  assert.equal(closedChanges.pending, 0);
  assert.equal(calls.watchesCancelled, 0);

  await kept.close();
  assert.equal(calls.watchesCancelled, 1);
  assert.equal(await client.get('echo/10.0.0.2:50051').string(), naming('10.0.0.2:50051'));

  const later = etcdDiscovery({ client, service: 'echo', logger });
  cleanup(() => later.close());
  await later.whenLoaded();
  assert.deepEqual(
    later.endpoints.map((e) => e.address),
    ['10.0.0.1:50051', '10.0.0.2:50051'],
  );
  assert.equal(calls.reads, 2);
});

test('discoveries with other timing options, or of another service, read and watch on their own', async (t) => {
  // 3.
  const { client, calls, cleanup } = await sharedClient(t);
  const logger = createCaptureLogger();
  const discoveries = [
    etcdDiscovery({ client, service: 'echo', logger }),
    etcdDiscovery({ client, service: 'echo', logger, callTimeoutMs: 2000 }),
    etcdDiscovery({ client, service: 'other', logger }),
  ];
  cleanup(() => Promise.all(discoveries.map((d) => d.close())));
  await Promise.all(discoveries.map((d) => d.whenLoaded()));
  assert.deepEqual(
    discoveries.map((d) => d.endpoints.length),
    [1, 1, 0],
  );
  assert.equal(calls.reads, 3);
});
