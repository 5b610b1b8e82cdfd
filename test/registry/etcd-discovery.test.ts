/**
 * etcdDiscovery against a real etcd on loopback.
 *
 * 1. Records written with etcdctl in each format are discovered; garbage under the prefix is
 *    skipped with a warning; deletions (key removed, or etcd naming's Op 1) remove the instance.
 * 2. While etcd is down the last known set stays; once it is back, changes reach discovery.
 * 3. A prefix holding more than one gRPC message (a few large values) is read in pages: the
 *    instances are found, values too large for one message are skipped with a warning.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startLocalEtcd } from '../../src/etcd/index.js';
import { etcdClientOptions } from '../../src/registry/etcd-client.js';
import { etcdDiscovery } from '../../src/registry/etcd-discovery.js';
import type { RegistryFormat, ServiceEndpoint } from '../../src/registry/formats.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

/** A local etcd and a discovery of `echo` in `format` on it, both stopped after the test. */
async function discoveryOnLocalEtcd(t: TestContext, format?: RegistryFormat) {
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const logger = createCaptureLogger();
  const discovery = etcdDiscovery({
    endpoints: etcd.endpoints,
    service: 'echo',
    logger,
    ...(format === undefined ? {} : { format }),
  });
  t.after(() => discovery.close());
  return { etcd, discovery, logger };
}

/** Resolves once the discovery's addresses equal `expected` (now or after a change). */
function addressesBecome(
  discovery: { endpoints: readonly ServiceEndpoint[]; subscribe(l: () => void): () => void },
  expected: string[],
): Promise<void> {
  const matches = () =>
    JSON.stringify(discovery.endpoints.map((e) => e.address)) === JSON.stringify(expected);
  return new Promise((resolve, reject) => {
    if (matches()) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(
          `addresses stayed ${JSON.stringify(discovery.endpoints.map((e) => e.address))}, expected ${JSON.stringify(expected)}`,
        ),
      );
    }, TEST_TIMEOUT_MS);
    const unsubscribe = discovery.subscribe(() => {
      if (!matches()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

const written: Record<RegistryFormat, Array<[string, string]>> = {
  'etcd-naming': [
    ['echo/10.0.0.1:50051', '{"Op":0,"Addr":"10.0.0.1:50051","Metadata":null}'],
    ['echo/10.0.0.2:50051', '{"Addr":"10.0.0.2:50051"}'],
  ],
  'go-zero': [
    ['echo/7587864068988009001', '10.0.0.1:50051'],
    ['echo/7587864068988009002', '10.0.0.2:50051'],
  ],
  kratos: [
    [
      '/microservices/echo/a',
      '{"id":"a","name":"echo","endpoints":["http://10.0.0.1:8000","grpc://10.0.0.1:50051"]}',
    ],
    [
      '/microservices/echo/b',
      '{"id":"b","name":"echo","endpoints":["grpc://10.0.0.2:50051?isSecure=false"]}',
    ],
  ],
};

test('records written by etcdctl in each format are discovered; garbage is skipped with a warning', async (t) => {
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  for (const format of Object.keys(written) as RegistryFormat[]) {
    const logger = createCaptureLogger();
    const discovery = etcdDiscovery({ endpoints: etcd.endpoints, service: 'echo', format, logger });
    t.after(() => discovery.close());
    const [first, second] = written[format];
    assert.ok(first && second);
    await etcdctl(etcd, 'put', ...first);
    await discovery.whenLoaded();
    await addressesBecome(discovery, ['10.0.0.1:50051']);
    const prefix = format === 'kratos' ? '/microservices/echo/' : 'echo/';
    await etcdctl(etcd, 'put', `${prefix}garbage`, 'not a registration {');
    await etcdctl(etcd, 'put', ...second);
    await addressesBecome(discovery, ['10.0.0.1:50051', '10.0.0.2:50051']);
    const skipped = await logger.waitFor((r) => r.event === 'registry-record-skipped');
    assert.equal(skipped.key, `${prefix}garbage`);
    await etcdctl(etcd, 'del', first[0]);
    await addressesBecome(discovery, ['10.0.0.2:50051']);
    await etcdctl(etcd, 'del', '--prefix', prefix);
    await addressesBecome(discovery, []);
    await discovery.close();
  }
});

test("etcd naming's Op 1 removes the instance", async (t) => {
  const { etcd, discovery } = await discoveryOnLocalEtcd(t);
  await etcdctl(etcd, 'put', 'echo/10.0.0.1:50051', '{"Op":0,"Addr":"10.0.0.1:50051"}');
  await addressesBecome(discovery, ['10.0.0.1:50051']);
  await etcdctl(etcd, 'put', 'echo/10.0.0.1:50051', '{"Op":1,"Addr":"10.0.0.1:50051"}');
  await addressesBecome(discovery, []);
});

test('an address named by two keys stays until both are gone; a key that moves address moves it', async (t) => {
  // go-zero keys name the lease: a re-registration leaves two keys for one address for a while.
  const { etcd, discovery } = await discoveryOnLocalEtcd(t, 'go-zero');
  await etcdctl(etcd, 'put', 'echo/1', '10.0.0.9:50051');
  await etcdctl(etcd, 'put', 'echo/2', '10.0.0.9:50051');
  await etcdctl(etcd, 'put', 'echo/3', '10.0.0.10:50051');
  // Code-unit order: '10.0.0.10' sorts before '10.0.0.9'.
  await addressesBecome(discovery, ['10.0.0.10:50051', '10.0.0.9:50051']);
  await etcdctl(etcd, 'del', 'echo/1');
  await etcdctl(etcd, 'put', 'echo/3', '10.0.0.11:50051');
  await addressesBecome(discovery, ['10.0.0.11:50051', '10.0.0.9:50051']);
  await etcdctl(etcd, 'del', 'echo/2');
  await addressesBecome(discovery, ['10.0.0.11:50051']);
});

test('while etcd is down the last known set stays; changes after its return arrive', async (t) => {
  const { etcd, discovery, logger } = await discoveryOnLocalEtcd(t);
  await etcdctl(etcd, 'put', 'echo/10.0.0.1:50051', '{"Op":0,"Addr":"10.0.0.1:50051"}');
  await addressesBecome(discovery, ['10.0.0.1:50051']);
  const [member] = etcd.members;
  assert.ok(member);
  await member.stop();
  const disconnected = await logger.waitFor((r) => r.event === 'discovery-watch-disconnected');
  assert.equal(disconnected.keptInstances, 1);
  assert.deepEqual(
    discovery.endpoints.map((e) => e.address),
    ['10.0.0.1:50051'],
  );
  await member.restart();
  await etcdctl(etcd, 'put', 'echo/10.0.0.2:50051', '{"Op":0,"Addr":"10.0.0.2:50051"}');
  await addressesBecome(discovery, ['10.0.0.1:50051', '10.0.0.2:50051']);
});

test('a prefix holding more than a gRPC message is read in pages: the instances are found, oversized values skipped', async (t) => {
  // 3. Five 1 MB values (each within etcd's request limit, 5 MB together: over grpc-js's 4 MiB
  // receive limit) beside three instances; a second client receives at most 600 kB per message,
  // so that each 1 MB value alone overflows it and must be stepped over.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const writer = new Etcd3({ hosts: etcd.endpoints });
  t.after(() => writer.close());
  const instances = ['10.0.0.1:50051', '10.0.0.2:50051', '10.0.0.3:50051'];
  for (const [i, address] of instances.entries()) {
    await writer.put(`echo/${address}`).value(JSON.stringify({ Op: 0, Addr: address }));
    await writer.put(`echo/${address}-junk-${i}`).value('x'.repeat(1_000_000));
  }
  for (const i of [3, 4]) await writer.put(`echo/zz-junk-${i}`).value('x'.repeat(1_000_000));

  const smallReceiver = new Etcd3({
    ...etcdClientOptions({ endpoints: etcd.endpoints }),
    grpcOptions: { 'grpc.max_receive_message_length': 600_000 },
  });
  t.after(() => smallReceiver.close());
  for (const connection of [{ endpoints: etcd.endpoints }, { client: smallReceiver }]) {
    const logger = createCaptureLogger();
    const discovery = etcdDiscovery({ ...connection, service: 'echo', logger });
    t.after(() => discovery.close());
    await discovery.whenLoaded();
    assert.deepEqual(
      discovery.endpoints.map((e) => e.address),
      instances,
    );
    const skipped = logger.records
      .filter((r) => r.event === 'registry-record-skipped')
      .map((r) => String(r.key))
      .sort();
    assert.equal(skipped.length, 5, JSON.stringify(skipped));
    assert.ok(skipped.every((key) => key.includes('-junk-')));
    // The watch starts after the paged read: a new instance arrives.
    await writer.put('echo/10.0.0.4:50051').value('{"Op":0,"Addr":"10.0.0.4:50051"}');
    await addressesBecome(discovery, [...instances, '10.0.0.4:50051']);
    await writer.delete().key('echo/10.0.0.4:50051');
    await addressesBecome(discovery, instances);
  }
});
