import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolvePrestopTarget } from './prestop-command.js';

test('the exec hook calls where the app listens: its LAMEDUCK_ADMIN_PORT and LAMEDUCK_ADMIN_HOST', () => {
  // Issue 15, item 11: the hook used to call 9901 whatever the app's env said.
  assert.deepEqual(resolvePrestopTarget({}, {}), {
    ok: true,
    value: { host: '127.0.0.1', port: 9901 },
  });
  assert.deepEqual(resolvePrestopTarget({}, { LAMEDUCK_ADMIN_PORT: ' 9000\n' }), {
    ok: true,
    value: { host: '127.0.0.1', port: 9000 },
  });
  // An admin server bound to the pod's address is called there, not on loopback.
  assert.deepEqual(resolvePrestopTarget({}, { LAMEDUCK_ADMIN_HOST: '10.1.2.3' }), {
    ok: true,
    value: { host: '10.1.2.3', port: 9901 },
  });
  for (const wildcard of ['0.0.0.0', '::', ' ']) {
    assert.deepEqual(resolvePrestopTarget({}, { LAMEDUCK_ADMIN_HOST: wildcard }), {
      ok: true,
      value: { host: '127.0.0.1', port: 9901 },
    });
  }
  // Flags win.
  assert.deepEqual(
    resolvePrestopTarget(
      { port: 9100, host: '::1' },
      { LAMEDUCK_ADMIN_PORT: '9000', LAMEDUCK_ADMIN_HOST: '10.1.2.3' },
    ),
    { ok: true, value: { host: '::1', port: 9100 } },
  );
});

test('an env port the hook cannot use is an error naming it', () => {
  assert.deepEqual(resolvePrestopTarget({}, { LAMEDUCK_ADMIN_PORT: 'abc' }), {
    ok: false,
    error: "LAMEDUCK_ADMIN_PORT must be a whole decimal number from 0 to 65535, got 'abc'",
  });
  const zero = resolvePrestopTarget({}, { LAMEDUCK_ADMIN_PORT: '0' });
  assert.ok(!zero.ok);
  assert.match(
    zero.error,
    /^LAMEDUCK_ADMIN_PORT=0 lets the admin server pick a free port, which the hook cannot know/,
  );
});
