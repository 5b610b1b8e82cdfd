/**
 * An unreachable etcd does not flood the log (issue 15, item 7).
 *
 * 1. Start etcd, then stop its member: its endpoint refuses connections.
 * 2. A registration starts serving against it, retrying every 20 ms at first, at most 100 ms.
 * 3. Over a dozen failed attempts: one warning, with the reason, in a sentence; the rest at debug;
 *    the pauses grow.
 * 4. etcd returns: the instance registers, and the line says after how many failed attempts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalEtcd } from '../../src/etcd/index.js';
import { etcdRegistration } from '../../src/registry/etcd-registration.js';
import { createCaptureLogger } from '../helpers/capture-logger.js';
import { registrationLifecycle } from '../helpers/registration-lifecycle.js';

test('an unreachable etcd: one warning with the reason, backoff, then one line when registered', async (t) => {
  // 1. etcd's endpoint, with nothing answering on it.
  const etcd = await startLocalEtcd();
  t.after(() => etcd.stop());
  const [member] = etcd.members;
  assert.ok(member);
  await member.stop();
  // 2. The registration, retrying fast so that the test sees many attempts.
  const logger = createCaptureLogger();
  const registration = etcdRegistration({
    endpoints: etcd.endpoints,
    service: 'echo',
    address: '127.0.0.1:50051',
    retryDelayMs: 20,
    maxRetryDelayMs: 100,
    logger,
  });
  const life = registrationLifecycle(t, registration, logger);
  await life.start();
  // 3. A dozen failures.
  const failures = () => logger.records.filter((r) => r.event === 'registration-failed');
  await logger.waitFor(() => failures().length >= 12);
  const warnings = failures().filter((r) => r.level === 'warn');
  assert.equal(warnings.length, 1, JSON.stringify(failures().map((r) => r.msg)));
  assert.match(
    warnings[0]?.msg ?? '',
    /^cannot register 'echo' in etcd \((?!.*circuit breaker).+\): \/readyz stays 503; retrying with backoff/,
  );
  const pauses = failures().map((r) => Number(r.nextAttemptInMs));
  assert.ok(Math.max(...pauses) > 2 * Math.min(...pauses), `pauses ${pauses.join(', ')}`);
  for (const record of logger.records) assert.notEqual(record.msg, record.event);
  // 4. Back.
  await member.restart();
  const registered = await logger.waitFor((r) => r.event === 'registered');
  assert.ok(Number(registered.failedAttempts) >= 12);
  assert.match(
    registered.msg,
    /^registered 'echo' in etcd: callers find this instance at 127\.0\.0\.1:50051, after \d+ failed attempts over \d+ s$/,
  );
});
