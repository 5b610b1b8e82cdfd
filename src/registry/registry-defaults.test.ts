import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdDiscoveryDefaults } from './etcd-discovery.js';
import { etcdRegistrationDefaults } from './etcd-registration.js';
import { retryScheduleDefaults } from './retry-schedule.js';

test('the registry defaults are the documented ones', () => {
  assert.deepEqual(etcdRegistrationDefaults, {
    name: 'etcd-registration',
    metadata: undefined,
    format: 'etcd-naming',
    leaseTtlSeconds: 10,
    instanceId: undefined,
    callTimeoutMs: 1000,
    retryDelayMs: 250,
    maxRetryDelayMs: 1000,
  });
  assert.deepEqual(etcdDiscoveryDefaults, {
    format: 'etcd-naming',
    callTimeoutMs: 1000,
    retryDelayMs: 250,
    maxRetryDelayMs: 1000,
    resyncIntervalMs: 30_000,
  });
  assert.equal(retryScheduleDefaults.reportIntervalMs, 30_000);
});
