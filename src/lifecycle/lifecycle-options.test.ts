import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from 'prom-client';
import { defaultAdminPort } from './admin-options.js';
import {
  type LifecycleConfig,
  type LifecycleOptions,
  lifecycleDefaults,
  parseLifecycleEnvNumber,
  resolveLifecycleConfig,
} from './lifecycle-options.js';

const errorOf = (r: ReturnType<typeof resolveLifecycleConfig>) =>
  r.ok ? undefined : r.error.message;
// The allow-list as its entries, so that configurations compare as data.
const adminSummary = (admin: LifecycleConfig['admin']) =>
  admin === false
    ? false
    : {
        ...admin,
        prestopAllow: admin.prestopAllow.entries,
        metricsRegistries: admin.metricsRegistries.length,
      };

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
    origins: {
      gracePeriodSeconds: 'default',
      safetyMarginMs: 'default',
      minLameDuckMs: 'default',
      maxLameDuckMs: 'default',
      quietFloorMs: 'default',
    },
    gracePeriodSeconds: 30,
    safetyMarginMs: 2000,
    budgetMs: 28_000,
    forceGraceMs: 1000,
    minLameDuckMs: 2000,
    maxLameDuckMs: 14_000,
    quietFloorMs: 500,
    quietGaps: 10,
    kubernetes: false,
  });
  assert.deepEqual(adminSummary(admin), {
    port: 9901,
    portOrigin: 'default',
    host: undefined,
    prestopAllow: [],
    metricsRegistries: 1,
  });
  assert.equal(admin !== false && admin.metricsRegistries[0], register, "prom-client's default");
});

test('options in code win over the environment, which wins over the defaults', () => {
  const env = {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '60',
    LAMEDUCK_MIN_LAME_DUCK_MS: '3000',
    LAMEDUCK_ADMIN_PORT: '9000',
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    HOST_IP: '10.0.0.7',
    LAMEDUCK_PRESTOP_ALLOW: ' 10.244.0.1 , fd00::/8,',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
  };
  const fromEnv = resolveLifecycleConfig({}, env);
  assert.ok(fromEnv.ok);
  assert.equal(fromEnv.value.kubernetes, true, 'the kubelet sets KUBERNETES_SERVICE_HOST');
  assert.equal(fromEnv.value.gracePeriodSeconds, 60);
  assert.equal(fromEnv.value.minLameDuckMs, 3000);
  assert.equal(fromEnv.value.maxLameDuckMs, 15_000, 'half of 58 s, capped at 15 s');
  assert.deepEqual(adminSummary(fromEnv.value.admin), {
    port: 9000,
    portOrigin: 'env',
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
    metricsRegistries: 1,
  });
  const fromCode = resolveLifecycleConfig({ gracePeriodSeconds: 20, admin: { port: 0 } }, env);
  assert.ok(fromCode.ok);
  assert.equal(fromCode.value.gracePeriodSeconds, 20);
  assert.deepEqual(adminSummary(fromCode.value.admin), {
    port: 0,
    portOrigin: 'option',
    host: '127.0.0.1',
    prestopAllow: ['10.0.0.7', '10.244.0.1', 'fd00::/8'],
    metricsRegistries: 1,
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
    "[invalid_config] lifecycle: safetyMarginMs: 0: the safety margin must be at least 200 ms, so that the process exits before the kubelet's SIGKILL",
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 2 }, {})),
    '[invalid_config] lifecycle: gracePeriodSeconds: 2 with safetyMarginMs 2000 (the default): the grace period (2000 ms) must be longer than the safety margin; with this margin and minLameDuckMs 2000 (the default), the grace period must be at least 5 s',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ gracePeriodSeconds: 5, minLameDuckMs: 3000 }, {})),
    '[invalid_config] lifecycle: minLameDuckMs: 3000 leaves no time to drain: the shortest lame-duck wait must be shorter than the budget of 3000 ms (gracePeriodSeconds: 5 minus safetyMarginMs 2000 (the default)); lower it, or make the grace period at least 6 s',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ minLameDuckMs: 5000, maxLameDuckMs: 4000 }, {})),
    '[invalid_config] lifecycle: maxLameDuckMs: 4000 is shorter than minLameDuckMs: 5000: the longest lame-duck wait cannot be shorter than the shortest',
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({ maxLameDuckMs: 28_000 }, {})),
    '[invalid_config] lifecycle: maxLameDuckMs: 28000 leaves no time to drain: the longest lame-duck wait must be shorter than the budget of 28000 ms (gracePeriodSeconds 30 (the default) minus safetyMarginMs 2000 (the default))',
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

test('errors across settings name each as the user set it: env variable and value, option, or default', () => {
  // Issue 15, item 4: LAMEDUCK_GRACE_PERIOD_SECONDS=2 used to blame safetyMarginMs alone.
  assert.equal(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_GRACE_PERIOD_SECONDS: '2' })),
    '[invalid_config] lifecycle: LAMEDUCK_GRACE_PERIOD_SECONDS=2 with safetyMarginMs 2000 (the default): the grace period (2000 ms) must be longer than the safety margin; with this margin and minLameDuckMs 2000 (the default), the grace period must be at least 5 s',
  );
  assert.equal(
    errorOf(
      resolveLifecycleConfig(
        { safetyMarginMs: 1000 },
        { LAMEDUCK_GRACE_PERIOD_SECONDS: '5', LAMEDUCK_MIN_LAME_DUCK_MS: '4000' },
      ),
    ),
    '[invalid_config] lifecycle: LAMEDUCK_MIN_LAME_DUCK_MS=4000 leaves no time to drain: the shortest lame-duck wait must be shorter than the budget of 4000 ms (LAMEDUCK_GRACE_PERIOD_SECONDS=5 minus safetyMarginMs: 1000); lower it, or make the grace period at least 6 s',
  );
  assert.match(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_SAFETY_MARGIN_MS: '100' })) ?? '',
    /^\[invalid_config\] lifecycle: LAMEDUCK_SAFETY_MARGIN_MS=100: the safety margin must be at least 200 ms/,
  );
  assert.equal(
    errorOf(resolveLifecycleConfig({}, { LAMEDUCK_ADMIN_PORT: 'abc' })),
    "[invalid_config] lifecycle: LAMEDUCK_ADMIN_PORT must be a whole decimal number from 0 to 65535, got 'abc'",
  );
});

test('an option this version does not know is refused, naming the closest known one', () => {
  // Issue 15, item 15: in JavaScript a typo used to be ignored, and the default silently used.
  const typo = { gracePeriodSecond: 45 } as Partial<LifecycleOptions>;
  assert.equal(
    errorOf(resolveLifecycleConfig(typo, {})),
    '[invalid_config] lifecycle: unknown option gracePeriodSecond: did you mean gracePeriodSeconds?',
  );
  const adminTypo = { admin: { prot: 0 } } as Partial<LifecycleOptions>;
  assert.equal(
    errorOf(resolveLifecycleConfig(adminTypo, {})),
    '[invalid_config] lifecycle: unknown option admin.prot: did you mean admin.port?',
  );
  assert.match(
    errorOf(resolveLifecycleConfig({ shutdownDelay: 5 } as Partial<LifecycleOptions>, {})) ?? '',
    /unknown option shutdownDelay: options are gracePeriodSeconds, safetyMarginMs, /,
  );
});

test('a string where a number belongs is named as a string', () => {
  // Issue 15, item 15: '45' used to be reported as "got 45", as if it were the number.
  const fromJavaScript = { gracePeriodSeconds: '45' } as unknown as Partial<LifecycleOptions>;
  assert.equal(
    errorOf(resolveLifecycleConfig(fromJavaScript, {})),
    "[invalid_config] lifecycle: gracePeriodSeconds must be a whole number from 1 to 2147483 (the longest a timer holds is 2^31 - 1 ms, about 24.8 days), got a string '45'",
  );
  const port = { admin: { port: '9000' } } as unknown as Partial<LifecycleOptions>;
  assert.match(
    errorOf(resolveLifecycleConfig(port, {})) ?? '',
    /admin\.port .*, got a string '9000'$/,
  );
  const gaps = { quietGaps: '10' } as unknown as Partial<LifecycleOptions>;
  assert.match(errorOf(resolveLifecycleConfig(gaps, {})) ?? '', /quietGaps .*, got a string '10'$/);
  const allow = { admin: { prestopAllow: '10.0.0.0/8' } } as unknown as Partial<LifecycleOptions>;
  assert.match(
    errorOf(resolveLifecycleConfig(allow, {})) ?? '',
    /admin\.prestopAllow must be an array of addresses and CIDRs, got a string '10\.0\.0\.0\/8'$/,
  );
});
