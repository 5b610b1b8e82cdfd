import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultAdminPort,
  lifecycleDefaults,
  resolveLifecycleConfig,
} from './lifecycle-options.js';

const errorOf = (r: ReturnType<typeof resolveLifecycleConfig>) =>
  r.ok ? undefined : r.error.message;

test('the defaults are the documented ones', () => {
  assert.equal(lifecycleDefaults.gracePeriodSeconds, 30);
  assert.equal(lifecycleDefaults.safetyMarginMs, 2000);
  assert.equal(lifecycleDefaults.minLameDuckMs, 2000);
  assert.equal(lifecycleDefaults.maxLameDuckMs, undefined);
  assert.equal(lifecycleDefaults.quietFloorMs, 500);
  assert.equal(lifecycleDefaults.quietGaps, 10);
  assert.equal(defaultAdminPort, 9901);
  const resolved = resolveLifecycleConfig({}, {});
  assert.deepEqual(resolved, {
    ok: true,
    value: {
      gracePeriodSeconds: 30,
      safetyMarginMs: 2000,
      budgetMs: 28_000,
      forceGraceMs: 1000,
      minLameDuckMs: 2000,
      maxLameDuckMs: 14_000,
      quietFloorMs: 500,
      quietGaps: 10,
      admin: { port: 9901, host: undefined, prestopAllow: [] },
    },
  });
});

test('options in code win over the environment, which wins over the defaults', () => {
  const env = {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '60',
    LAMEDUCK_MIN_LAME_DUCK_MS: '3000',
    LAMEDUCK_ADMIN_PORT: '9000',
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    HOST_IP: '10.0.0.7',
    LAMEDUCK_PRESTOP_ALLOW: ' 10.244.0.1 , fd00::/8,',
  };
  const fromEnv = resolveLifecycleConfig({}, env);
  assert.ok(fromEnv.ok);
  assert.equal(fromEnv.value.gracePeriodSeconds, 60);
  assert.equal(fromEnv.value.minLameDuckMs, 3000);
  assert.equal(fromEnv.value.maxLameDuckMs, 15_000, 'half of 58 s, capped at 15 s');
  assert.deepEqual(fromEnv.value.admin, {
    port: 9000,
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
  });
  const fromCode = resolveLifecycleConfig({ gracePeriodSeconds: 20, admin: { port: 0 } }, env);
  assert.ok(fromCode.ok);
  assert.equal(fromCode.value.gracePeriodSeconds, 20);
  assert.deepEqual(fromCode.value.admin, {
    port: 0,
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
  });
});

test('bad values get errors that name the setting and the value', () => {
  assert.equal(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_GRACE_PERIOD_SECONDS: 'thirty' })),
    "[invalid_config] lifecycle: LAMEDUCK_GRACE_PERIOD_SECONDS must be a number >= 0, got 'thirty'",
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: -1 }, {})),
    '[invalid_config] lifecycle: gracePeriodSeconds must be a finite number >= 0, got -1',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 0 }, {})),
    '[invalid_config] lifecycle: gracePeriodSeconds must be > 0',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ safetyMarginMs: 0 }, {})),
    "[invalid_config] lifecycle: safetyMarginMs (0) must be at least 200: the process must exit before the kubelet's SIGKILL",
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 2 }, {})),
    '[invalid_config] lifecycle: safetyMarginMs (2000) must be shorter than the grace period (2000 ms)',
  );
  assert.match(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 5, minLameDuckMs: 3000 }, {})) ?? '',
    /minLameDuckMs \(3000\) leaves no time to drain in a budget of 3000 ms \(grace period 5000 ms - safety margin 2000 ms\)/,
  );
  assert.match(
    errorOf(resolveLifecycleConfig({ minLameDuckMs: 5000, maxLameDuckMs: 4000 }, {})) ?? '',
    /maxLameDuckMs \(4000\) is shorter than minLameDuckMs \(5000\)/,
  );
  assert.match(
    errorOf(resolveLifecycleConfig({ maxLameDuckMs: 28_000 }, {})) ?? '',
    /maxLameDuckMs \(28000\) leaves no time to drain in a budget of 28000 ms/,
  );
  assert.match(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_ADMIN_PORT: '70000' })) ?? '',
    /admin port must be an integer from 0 to 65535, got '70000'/,
  );
});
