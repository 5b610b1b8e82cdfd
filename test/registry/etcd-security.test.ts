/**
 * Registration and discovery against an etcd that wants TLS, and one that wants a password.
 *
 * 1. TLS: with the CA, an instance registers and is discovered over `https://` endpoints;
 *    without it, registration fails with a message saying why, and the instance stays not ready.
 * 2. Auth: with the right password, it registers and is discovered; with a wrong one it fails
 *    with etcd's reason. No log record ever carries a password.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type LocalEtcd, startLocalEtcd } from '../../src/etcd/index.js';
import type { EtcdConnection } from '../../src/registry/etcd-client.js';
import { etcdDiscovery } from '../../src/registry/etcd-discovery.js';
import { etcdRegistration } from '../../src/registry/etcd-registration.js';
import { type CaptureLogger, createCaptureLogger } from '../helpers/capture-logger.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { registrationLifecycle } from '../helpers/registration-lifecycle.js';
import { createTestCertificate } from '../helpers/tls-cert.js';

const address = '127.0.0.1:50051';

/** A lifecycle with one registration over `connection`, shut down after the test. */
async function serveRegistered(
  t: TestContext,
  connection: Exclude<EtcdConnection, { client: unknown }>,
  logger: CaptureLogger,
) {
  const registration = etcdRegistration({ ...connection, service: 'echo', address, logger });
  const life = registrationLifecycle(t, registration, logger);
  await life.start();
  return { registration, life };
}

/** Discovers `echo` over `connection` and resolves with the addresses it loaded. */
async function discoveredAddresses(
  t: TestContext,
  connection: Exclude<EtcdConnection, { client: unknown }>,
  logger: CaptureLogger,
): Promise<string[]> {
  const discovery = etcdDiscovery({ ...connection, service: 'echo', logger });
  t.after(() => discovery.close());
  await discovery.whenLoaded();
  return discovery.endpoints.map((endpoint) => endpoint.address);
}

/** Registers over `connection`, then checks the instance is ready and discovered through it. */
async function assertRegisteredAndDiscovered(
  t: TestContext,
  connection: Exclude<EtcdConnection, { client: unknown }>,
  logger: CaptureLogger,
): Promise<void> {
  const { registration, life } = await serveRegistered(t, connection, logger);
  await registration.whenRegistered();
  assert.equal(life.ready, true);
  assert.deepEqual(await discoveredAddresses(t, connection, logger), [address]);
}

test('TLS: registers and is discovered with the CA; refused without it, saying why', async (t) => {
  // 1.
  const certificate = await createTestCertificate();
  t.after(() => certificate.cleanup());
  const etcd = await startLocalEtcd({
    clientTls: {
      certPath: certificate.certPath,
      keyPath: certificate.keyPath,
      caPem: certificate.cert,
    },
  });
  t.after(() => etcd.stop());
  assert.match(etcd.endpoints[0] ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  const tls = { rootCertificate: Buffer.from(certificate.cert) };
  const logger = createCaptureLogger();
  await assertRegisteredAndDiscovered(t, { endpoints: etcd.endpoints, tls }, logger);

  // Without the CA the server's certificate is not trusted.
  const untrusting = createCaptureLogger();
  const refused = await serveRegistered(t, { endpoints: etcd.endpoints }, untrusting);
  const failed = await untrusting.waitFor((r) => r.event === 'registration-failed');
  assert.match(String(failed.error), /self-signed certificate/);
  assert.equal(refused.life.ready, false);
});

test('auth: registers and is discovered with the password; a wrong one fails, never logged', async (t) => {
  // 2.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const password = 'correct-horse-battery-staple';
  await enableAuth(etcd, password);
  const auth = { username: 'root', password };
  const logger = createCaptureLogger();
  await assertRegisteredAndDiscovered(t, { endpoints: etcd.endpoints, auth }, logger);

  const wrongPassword = 'not-the-password-at-all';
  const refusedLogger = createCaptureLogger();
  const refused = await serveRegistered(
    t,
    { endpoints: etcd.endpoints, auth: { username: 'root', password: wrongPassword } },
    refusedLogger,
  );
  const failed = await refusedLogger.waitFor((r) => r.event === 'registration-failed');
  assert.match(String(failed.error), /authentication failed/i);
  assert.equal(refused.life.ready, false);
  for (const record of [...logger.records, ...refusedLogger.records]) {
    const line = JSON.stringify(record);
    assert.ok(!line.includes(password) && !line.includes(wrongPassword), `a password in ${line}`);
  }
});

/** Creates etcd's root user with `password` and turns authentication on. */
async function enableAuth(etcd: LocalEtcd, password: string): Promise<void> {
  await etcdctl(etcd, 'user', 'add', `root:${password}`);
  await etcdctl(etcd, 'auth', 'enable');
}
