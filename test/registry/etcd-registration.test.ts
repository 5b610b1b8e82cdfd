/**
 * etcdRegistration against a real etcd on loopback.
 *
 * 1. It registers when the lifecycle serves, /readyz waits for it, and lame duck revokes the
 *    lease: the key is gone before the drain.
 * 2. A lease revoked behind its back (etcdctl) is noticed, reported not ready, and replaced.
 * 3. etcd down: the loss is noticed within one TTL (etcd3 alone waits two), the instance reports
 *    not ready, and registers again soon after etcd returns.
 * 3b. A loss etcd never saw (its replies held back while the keepalives reach it): once the
 *    instance is registered again, the old lease is revoked, so go-zero's key naming the old
 *    lease does not linger as a second entry until it expires.
 * 3c. An etcd call that callTimeoutMs gives up on is cancelled (its deadline ends it), not left
 *    running.
 * 4. etcd unreachable at shutdown: the revoke gives up within callTimeoutMs; the shutdown goes on.
 * 5. Each format is written in the shape the Go code expects, as etcdctl reads it.
 * 6. Bad options are refused, naming the setting.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { type LocalEtcd, startLocalEtcd } from '../../src/etcd/index.js';
import type { LameduckError } from '../../src/index.js';
import { etcdRegistration } from '../../src/registry/etcd-registration.js';
import type { RegistryFormat, RegistryMetadata } from '../../src/registry/formats.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';
import { channelCalls } from '../helpers/channelz.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { registrationLifecycle } from '../helpers/registration-lifecycle.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { waitUntil } from '../helpers/wait-until.js';

async function setup(
  t: TestContext,
  options: {
    format?: RegistryFormat;
    leaseTtlSeconds?: number;
    etcd?: LocalEtcd;
    /** Where the client connects instead of etcd's own endpoints (a proxy). */
    endpoints?: string[];
    metadata?: RegistryMetadata;
  } = {},
) {
  const etcd = options.etcd ?? (await startLocalEtcd());
  if (options.etcd === undefined) t.after(() => etcd.stop());
  const logger = createCaptureLogger();
  const registration = etcdRegistration({
    endpoints: options.endpoints ?? etcd.endpoints,
    service: 'echo',
    address: '127.0.0.1:50051',
    metadata: options.metadata,
    format: options.format ?? 'etcd-naming',
    leaseTtlSeconds: options.leaseTtlSeconds ?? 2,
    instanceId: 'pod-1',
    logger,
  });
  const life = registrationLifecycle(t, registration, logger);
  return { etcd, logger, registration, life };
}

test('registers when serving, gates readiness, and lame duck revokes the lease', async (t) => {
  // 1.
  const { etcd, registration, life, logger } = await setup(t);
  await life.start();
  await registration.whenRegistered();
  assert.equal(life.ready, true);
  assert.equal(registration.registeredKey, 'echo/127.0.0.1:50051');
  assert.equal(
    await etcdctl(etcd, 'get', 'echo/127.0.0.1:50051', '--print-value-only'),
    '{"Op":0,"Addr":"127.0.0.1:50051"}\n',
  );
  await life.lameDuckOver();
  assert.equal(await etcdctl(etcd, 'get', '--prefix', 'echo/'), '');
  assert.equal(life.ready, false);
  await logger.waitFor((r) => r.event === 'deregistered');
});

test('a lease revoked behind its back is noticed and replaced by a new one', async (t) => {
  // 2.
  const { etcd, registration, life, logger } = await setup(t);
  await life.start();
  await registration.whenRegistered();
  const first = await logger.waitFor((r) => r.event === 'registered');
  const from = logger.records.length;
  await etcdctl(etcd, 'lease', 'revoke', BigInt(String(first.leaseId)).toString(16));
  await logger.waitFor((r) => r.event === 'registration-lost', { from });
  const second = await logger.waitFor((r) => r.event === 'registered', { from });
  assert.notEqual(second.leaseId, first.leaseId);
  assert.equal(life.ready, true);
  assert.match(
    await etcdctl(etcd, 'get', 'echo/127.0.0.1:50051', '--print-value-only'),
    /"Addr":"127.0.0.1:50051"/,
  );
});

test('etcd down: loss noticed within one TTL, not ready, registered again soon after etcd returns', async (t) => {
  // 3. TTL 2 s: etcd3 alone would say 'lost' after 4 s.
  const { etcd, registration, life, logger } = await setup(t, { leaseTtlSeconds: 2 });
  await life.start();
  await registration.whenRegistered();
  const [member] = etcd.members;
  assert.ok(member);
  const from = logger.records.length;
  const downAtMs = performance.now();
  await member.stop();
  await logger.waitFor((r) => r.event === 'registration-lost', { from });
  const noticedAfterMs = performance.now() - downAtMs;
  assert.ok(noticedAfterMs < 2000 + 800, `loss noticed after ${Math.round(noticedAfterMs)} ms`);
  assert.equal(life.ready, false);

  const lostAt = logger.records.length;
  await member.restart();
  const backAtMs = performance.now();
  await logger.waitFor((r) => r.event === 'registered', { from: lostAt });
  const reRegisteredAfterMs = performance.now() - backAtMs;
  assert.ok(
    reRegisteredAfterMs < 2000,
    `registered again ${Math.round(reRegisteredAfterMs)} ms after etcd returned`,
  );
  assert.equal(life.ready, true);
});

test('a loss etcd never saw: the old lease is revoked once registered again', async (t) => {
  // 3b. TTL 5 s: left alone, the old lease would outlive the new registration by over 3 s.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const proxy = await startTcpProxy(etcd.endpoints[0] ?? '');
  t.after(() => proxy.close());
  const { registration, life, logger } = await setup(t, {
    etcd,
    endpoints: [proxy.url],
    format: 'go-zero',
    leaseTtlSeconds: 5,
  });
  await life.start();
  await registration.whenRegistered();
  const oldKey = registration.registeredKey;
  const from = logger.records.length;
  proxy.holdReplies();
  await logger.waitFor((r) => r.event === 'registration-lost', { from });
  assert.equal(
    await etcdctl(etcd, 'get', '--keys-only', oldKey ?? ''),
    `${oldKey}\n\n`,
    'etcd still holds the old key',
  );
  proxy.releaseReplies();
  await logger.waitFor((r) => r.event === 'registered', { from });
  const registeredAtMs = performance.now();
  const newKey = registration.registeredKey;
  assert.notEqual(newKey, oldKey);
  await waitUntil(
    'only the new key to be left',
    async () => (await etcdctl(etcd, 'get', '--prefix', '--keys-only', 'echo/')).trim() === newKey,
  );
  const goneAfterMs = performance.now() - registeredAtMs;
  assert.ok(goneAfterMs < 1500, `the old key was gone ${Math.round(goneAfterMs)} ms after`);
});

test('an etcd call given up on after callTimeoutMs is cancelled, not left running', async (t) => {
  // 3c. etcd's replies are held: the lease grant times out. Once the registration gives up on
  // it, no call of its client is still running (channelz: every call started has ended).
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const proxy = await startTcpProxy(etcd.endpoints[0] ?? '');
  t.after(() => proxy.close());
  proxy.holdReplies();
  const logger = createCaptureLogger();
  const registration = etcdRegistration({
    endpoints: [proxy.url],
    service: 'echo',
    address: '127.0.0.1:50051',
    callTimeoutMs: 300,
    retryDelayMs: 60_000,
    logger,
  });
  const life = registrationLifecycle(t, registration, logger);
  await life.start();
  const failed = await logger.waitFor((r) => r.event === 'registration-failed');
  assert.match(String(failed.error), /lease grant took over 300 ms/);
  const port = new URL(proxy.url).port;
  const calls = await channelCalls(`:${port}`);
  assert.ok(calls.started > 0, 'the grant was sent through the proxy');
  // The deadline ends the call on the client at once; a call left running would end only when
  // the replies are released, which this test never does.
  await waitUntil(
    'every call to have ended',
    async () => {
      const now = await channelCalls(`:${port}`);
      return now.ended === now.started;
    },
    1000,
  );
});

test('etcd unreachable at shutdown: the revoke gives up in time and the shutdown goes on', async (t) => {
  // 4.
  const { etcd, registration, life, logger } = await setup(t, { leaseTtlSeconds: 10 });
  await life.start();
  await registration.whenRegistered();
  const [member] = etcd.members;
  assert.ok(member);
  member.kill('SIGSTOP');
  t.after(() => member.kill('SIGCONT'));
  const result = await life.shutdown();
  member.kill('SIGCONT');
  const failed = await logger.waitFor((r) => r.event === 'deregistration-failed');
  assert.equal(failed.expiresWithinSeconds, 10);
  assert.equal(result.exitCode, 0);
  assert.ok(result.shutdownMs < 3000, `shutdown took ${result.shutdownMs} ms`);
});

test('each format is written in the shape the Go code reads back', async (t) => {
  // 5. One etcd, one registration per format.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  // etcd naming without metadata is what Go's own endpoints.Manager writes for a nil Metadata.
  const cases: Array<{
    format: RegistryFormat;
    metadata?: RegistryMetadata;
    expected: (leaseId: string) => [string, string];
  }> = [
    {
      format: 'etcd-naming',
      expected: () => ['echo/127.0.0.1:50051', '{"Op":0,"Addr":"127.0.0.1:50051"}'],
    },
    {
      format: 'etcd-naming',
      metadata: 'zone-a',
      expected: () => [
        'echo/127.0.0.1:50051',
        '{"Op":0,"Addr":"127.0.0.1:50051","Metadata":"zone-a"}',
      ],
    },
    { format: 'go-zero', expected: (leaseId) => [`echo/${leaseId}`, '127.0.0.1:50051'] },
    {
      format: 'kratos',
      metadata: { zone: 'a', version: 'v2' },
      expected: () => [
        '/microservices/echo/pod-1',
        '{"id":"pod-1","name":"echo","version":"v2","metadata":{"zone":"a","version":"v2"},"endpoints":["grpc://127.0.0.1:50051"]}',
      ],
    },
  ];
  for (const { format, metadata, expected } of cases) {
    const { registration, life, logger } = await setup(t, {
      format,
      etcd,
      ...(metadata === undefined ? {} : { metadata }),
    });
    await life.start();
    await registration.whenRegistered();
    const { leaseId } = await logger.waitFor((r) => r.event === 'registered');
    const [key, value] = expected(String(leaseId));
    assert.equal(await etcdctl(etcd, 'get', key), `${key}\n${value}\n`, format);
    await life.shutdown();
    assert.equal(await etcdctl(etcd, 'get', key), '', `${format}: revoked at shutdown`);
  }
});

test('bad options are refused, naming the setting', () => {
  // 6.
  const client = new Etcd3({ hosts: 'http://127.0.0.1:1' });
  try {
    const refused = (options: object, pattern: RegExp) =>
      assert.throws(
        () => etcdRegistration({ client, service: 'echo', address: '127.0.0.1:1', ...options }),
        (e: LameduckError) => e.code === 'invalid_config' && pattern.test(e.message),
      );
    refused({ service: '' }, /service must be a non-empty name/);
    refused({ format: 'consul' }, /format must be one of etcd-naming, go-zero, kratos/);
    refused({ leaseTtlSeconds: 1 }, /leaseTtlSeconds must be a whole number from 2 to 2147483 /);
    refused({ callTimeoutMs: 0 }, /callTimeoutMs/);
    refused(
      { metadata: {} },
      /metadata for format 'etcd-naming' must be a string, number or boolean, got an object: .*grpc-go callers panic/,
    );
    refused({ metadata: ['a'] }, /'etcd-naming' must be .*, got an array/);
    refused({ metadata: 'v1', format: 'go-zero' }, /'go-zero' cannot be written: .*got a string/);
    refused(
      { metadata: { replicas: 3 }, format: 'kratos' },
      /'kratos' must be an object of strings .*got an object whose 'replicas' is the number 3/,
    );
    assert.throws(
      () => etcdRegistration({ endpoints: [], service: 'echo', address: '127.0.0.1:1' }),
      /endpoints must list etcd URLs/,
    );
    const badAddress = etcdRegistration({ client, service: 'echo', address: 'nohost' });
    assert.throws(
      () => badAddress.start(new AbortController().signal),
      /'nohost' is not host:port/,
    );
    const wildcard = etcdRegistration({ client, service: 'echo', address: '0.0.0.0:50051' });
    assert.throws(() => wildcard.start(new AbortController().signal), /is a wildcard/);
  } finally {
    client.close();
  }
});
