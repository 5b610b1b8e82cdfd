import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultAdminPort,
  type LifecycleConfig,
  lifecycleDefaults,
  parseLifecycleEnvNumber,
  resolveLifecycleConfig,
} from './lifecycle-options.js';

const errorOf = (r: ReturnType<typeof resolveLifecycleConfig>) =>
  r.ok ? undefined : r.error.message;
// The allow-list as its entries, so that configurations compare as data.
const adminSummary = (admin: LifecycleConfig['admin']) =>
  admin === false ? false : { ...admin, prestopAllow: admin.prestopAllow.entries };

test('the defaults are the documented ones', () => {
  assert.equal(lifecycleDefaults.gracePeriodSeconds, 30);
  assert.equal(lifecycleDefaults.safetyMarginMs, 2000);
  assert.equal(lifecycleDefaults.minLameDuckMs, 2000);
  assert.equal(lifecycleDefaults.maxLameDuckMs, undefined);
  assert.equal(lifecycleDefaults.quietFloorMs, 500);
  assert.equal(lifecycleDefaults.quietGaps, 10);
  assert.equal(defaultAdminPort, 9901);
  const resolved = resolveLifecycleConfig({}, {});
  assert.ok(resolved.ok);
  const { admin, ...timing } = resolved.value;
  assert.deepEqual(timing, {
    gracePeriodSeconds: 30,
    safetyMarginMs: 2000,
    budgetMs: 28_000,
    forceGraceMs: 1000,
    minLameDuckMs: 2000,
    maxLameDuckMs: 14_000,
    quietFloorMs: 500,
    quietGaps: 10,
  });
  assert.deepEqual(adminSummary(admin), { port: 9901, host: undefined, prestopAllow: [] });
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
  assert.deepEqual(adminSummary(fromEnv.value.admin), {
    port: 9000,
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
  });
  const fromCode = resolveLifecycleConfig({ gracePeriodSeconds: 20, admin: { port: 0 } }, env);
  assert.ok(fromCode.ok);
  assert.equal(fromCode.value.gracePeriodSeconds, 20);
  assert.deepEqual(adminSummary(fromCode.value.admin), {
    port: 0,
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
  });
});

test('bad values get errors that name the setting and the value', () => {
  assert.equal(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_GRACE_PERIOD_SECONDS: 'thirty' })),
    "[invalid_config] lifecycle: LAMEDUCK_GRACE_PERIOD_SECONDS must be a whole decimal number from 1 to 2147483 (the longest a timer holds is 2^31 - 1 ms, about 24.8 days), got 'thirty'",
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: -1 }, {})),
    '[invalid_config] lifecycle: gracePeriodSeconds must be a whole number from 1 to 2147483 (the longest a timer holds is 2^31 - 1 ms, about 24.8 days), got -1',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 0 }, {})),
    '[invalid_config] lifecycle: gracePeriodSeconds must be a whole number from 1 to 2147483 (the longest a timer holds is 2^31 - 1 ms, about 24.8 days), got 0',
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
    /LAMEDUCK_ADMIN_PORT must be a whole decimal number from 0 to 65535, got '70000'/,
  );
});

test('env numbers are whole decimal numbers: hex, exponents, fractions, signs, inner spaces refused', () => {
  const refused: Array<[string, string]> = [
    ['LAMEDUCK_ADMIN_PORT', '0x50'],
    ['LAMEDUCK_ADMIN_PORT', '0o120'],
    ['LAMEDUCK_ADMIN_PORT', '0b1010000'],
    ['LAMEDUCK_ADMIN_PORT', '8e1'],
    ['LAMEDUCK_ADMIN_PORT', '80.0'],
    ['LAMEDUCK_ADMIN_PORT', '+80'],
    ['LAMEDUCK_ADMIN_PORT', '080'],
    ['LAMEDUCK_ADMIN_PORT', '8 0'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', '0x1e'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', '2.5'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', '1e2'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', '-0'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', 'Infinity'],
    ['LAMEDUCK_GRACE_PERIOD_SECONDS', '３０'],
    ['LAMEDUCK_SAFETY_MARGIN_MS', '1_000'],
    ['LAMEDUCK_MIN_LAME_DUCK_MS', '0x3e8'],
    ['LAMEDUCK_MAX_LAME_DUCK_MS', '5e3'],
    ['LAMEDUCK_QUIET_FLOOR_MS', '500.5'],
  ];
  for (const [name, text] of refused) {
    const message = errorOf(resolveLifecycleConfig({}, { [name]: text }));
    assert.match(
      message ?? '',
      new RegExp(`^\\[invalid_config\\] lifecycle: ${name} must be a whole decimal number from `),
      `${name}=${text}`,
    );
    assert.ok(message?.endsWith(`got '${text}'`), `${name}=${text}: ${message}`);
  }
});

test('env numbers may have spaces or a newline around them; empty means unset', () => {
  const resolved = resolveLifecycleConfig(
    {},
    {
      LAMEDUCK_GRACE_PERIOD_SECONDS: ' 60\n',
      LAMEDUCK_ADMIN_PORT: '\t0 ',
      LAMEDUCK_MIN_LAME_DUCK_MS: '0',
      LAMEDUCK_QUIET_FLOOR_MS: '   ',
    },
  );
  assert.ok(resolved.ok);
  assert.equal(resolved.value.gracePeriodSeconds, 60);
  assert.equal(resolved.value.admin !== false && resolved.value.admin.port, 0);
  assert.equal(resolved.value.minLameDuckMs, 0);
  assert.equal(resolved.value.quietFloorMs, 500);
});

test('options in code are whole numbers too (quietGaps aside)', () => {
  for (const [key, value] of [
    ['gracePeriodSeconds', 2.5],
    ['safetyMarginMs', 1000.5],
    ['minLameDuckMs', Number.NaN],
    ['quietFloorMs', Number.POSITIVE_INFINITY],
  ] as const) {
    assert.match(
      errorOf(resolveLifecycleConfig({ [key]: value }, {})) ?? '',
      new RegExp(`^\\[invalid_config\\] lifecycle: ${key} must be a whole number from `),
      `${key}: ${value}`,
    );
  }
  assert.ok(resolveLifecycleConfig({ quietGaps: 2.5 }, {}).ok);
  assert.match(
    errorOf(resolveLifecycleConfig({ admin: { port: 80.5 } }, {})) ?? '',
    /^\[invalid_config\] lifecycle: admin\.port must be a whole number from 0 to 65535, got 80\.5$/,
  );
});

test('a grace period longer than a timer can hold is refused, naming the limit and why', () => {
  // Node keeps a timer's delay in 32 bits: past 2^31 - 1 ms it fires after 1 ms instead.
  for (const text of ['2147484', '2200000', '99999999', `1${'0'.repeat(308)}`]) {
    assert.equal(
      errorOf(resolveLifecycleConfig({}, { LAMEDUCK_GRACE_PERIOD_SECONDS: text })),
      `[invalid_config] lifecycle: LAMEDUCK_GRACE_PERIOD_SECONDS must be a whole decimal number from 1 to 2147483 (the longest a timer holds is 2^31 - 1 ms, about 24.8 days), got '${text}'`,
    );
  }
  for (const seconds of [2_147_485, 1e308]) {
    assert.match(
      errorOf(resolveLifecycleConfig({ gracePeriodSeconds: seconds }, {})) ?? '',
      /gracePeriodSeconds must be a whole number from 1 to 2147483 \(the longest a timer holds/,
    );
  }
  const longest = resolveLifecycleConfig({}, { LAMEDUCK_GRACE_PERIOD_SECONDS: '2147483' });
  assert.ok(longest.ok);
  // Every lifecycle timer (the budget, then the hard exit after it) fits.
  assert.ok(longest.value.budgetMs + longest.value.forceGraceMs <= 2 ** 31 - 1);
  assert.match(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_QUIET_FLOOR_MS: '2147483648' })) ?? '',
    /LAMEDUCK_QUIET_FLOOR_MS must be a whole decimal number from 0 to 2147483647 \(the longest a timer holds/,
  );
});

test('allow-list errors name HOST_IP, LAMEDUCK_PRESTOP_ALLOW or admin.prestopAllow', () => {
  // A range in HOST_IP, and one that used to abort the process in BlockList (issue 12, item 2).
  for (const hostIp of ['127.0.0.0/8', '10.0.0.1/-0']) {
    assert.equal(
      errorOf(resolveLifecycleConfig({}, { HOST_IP: hostIp })),
      `[invalid_config] admin: HOST_IP '${hostIp}' is a range: it must be the node's one address, as the downward API's status.hostIP gives it`,
    );
  }
  // A trailing slash used to be a /0 that let everyone in (issue 12, item 1).
  assert.match(
    errorOf(
      resolveLifecycleConfig(
        {},
        { HOST_IP: '10.0.0.7', LAMEDUCK_PRESTOP_ALLOW: '10.1.2.3,10.244.0.0/' },
      ),
    ) ?? '',
    /^\[invalid_config\] admin: LAMEDUCK_PRESTOP_ALLOW entry '10\.244\.0\.0\/' has the prefix length ''/,
  );
  assert.match(
    errorOf(resolveLifecycleConfig({ admin: { prestopAllow: ['fd00::/'] } }, {})) ?? '',
    /^\[invalid_config\] admin: admin\.prestopAllow entry 'fd00::\/' has the prefix length ''/,
  );
  // Given in code, the list replaces the environment's, HOST_IP included.
  const fromCode = resolveLifecycleConfig(
    { admin: { prestopAllow: ['10.0.0.0/8'] } },
    { HOST_IP: 'not read' },
  );
  assert.ok(fromCode.ok && fromCode.value.admin !== false);
  assert.deepEqual(fromCode.value.admin.prestopAllow.entries, ['10.0.0.0/8']);
});

test('parseLifecycleEnvNumber reads one variable as resolveLifecycleConfig does (for the linter)', () => {
  assert.deepEqual(parseLifecycleEnvNumber('LAMEDUCK_GRACE_PERIOD_SECONDS', '45\n'), {
    ok: true,
    value: 45,
  });
  assert.deepEqual(parseLifecycleEnvNumber('LAMEDUCK_ADMIN_PORT', '0x50'), {
    ok: false,
    error: "LAMEDUCK_ADMIN_PORT must be a whole decimal number from 0 to 65535, got '0x50'",
  });
  const tooLong = parseLifecycleEnvNumber('LAMEDUCK_MIN_LAME_DUCK_MS', '2147483648');
  assert.ok(!tooLong.ok);
  assert.equal(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_MIN_LAME_DUCK_MS: '2147483648' })),
    `[invalid_config] lifecycle: ${tooLong.error}`,
  );
});
