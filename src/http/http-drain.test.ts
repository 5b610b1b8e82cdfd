import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import type { LameduckError } from '../errors/lameduck-error.js';
import { drainHttpServer, httpDrainDefaults } from './http-drain.js';

test('httpDrainDefaults are what the options document', () => {
  const { name, upgradeGraceMs, isProbe, now } = httpDrainDefaults;
  assert.deepEqual({ name, upgradeGraceMs }, { name: 'http', upgradeGraceMs: 3000 });
  assert.equal(isProbe('kube-probe/1.31'), true);
  assert.equal(isProbe('curl/8.5.0'), false);
  assert.equal(isProbe(undefined), false);
  assert.equal(typeof now(), 'number');
});

test('upgradeGraceMs must be a timer delay in milliseconds', () => {
  for (const upgradeGraceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
    assert.throws(
      () => drainHttpServer(createServer(), { upgradeGraceMs }),
      (e: LameduckError) =>
        e.code === 'invalid_config' &&
        e.message.includes(
          'http: upgradeGraceMs must be a number of milliseconds from 0 to 2147483647',
        ) &&
        e.message.endsWith(`got ${upgradeGraceMs}`),
    );
  }
  assert.doesNotThrow(() => drainHttpServer(createServer(), { upgradeGraceMs: 0 }));
});
