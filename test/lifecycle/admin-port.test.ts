/**
 * Two instances on one machine, both on the default admin port (issue 15, item 3).
 *
 * 1. Instance A serves with its admin server on a port; instance B is given the same port in
 *    LAMEDUCK_ADMIN_PORT.
 * 2. B logs one line naming LAMEDUCK_ADMIN_PORT, its value, and 0 as the way to pick a free
 *    port; it prints no stack trace and exits 1.
 * 3. B with LAMEDUCK_ADMIN_PORT=0 beside A serves, and says on which port.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChildService, startListeningService } from '../helpers/child-service.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));

test('a second instance on a taken admin port names LAMEDUCK_ADMIN_PORT and 0, exits 1 without a stack trace', async (t) => {
  // 1. A holds the port.
  const a = await startListeningService(fixture, {});
  t.after(() => a.kill());
  const taken = String(a.adminPort);
  // 2. B asks for the same one.
  const b = startChildService(fixture, {
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    LAMEDUCK_ADMIN_PORT: taken,
  });
  t.after(() => b.kill());
  const failed = await b.waitForLine((l) => l.event === 'participant-failed');
  assert.equal(failed.name, 'admin');
  assert.equal(
    (failed.error as { message: string }).message,
    `[unavailable] admin: cannot listen on 127.0.0.1:${taken}: LAMEDUCK_ADMIN_PORT=${taken} is in use (EADDRINUSE) by another process (a second instance on this machine?): set LAMEDUCK_ADMIN_PORT to a free port, or to 0 to pick any free one (the admin-listening line says which)`,
  );
  assert.equal((await b.exited).code, 1);
  assert.equal(b.stderr(), '', 'no stack trace');
  // 3. With 0, B serves beside A.
  const c = await startListeningService(fixture, { LAMEDUCK_ADMIN_PORT: '0' });
  t.after(() => c.kill());
  assert.notEqual(c.adminPort, a.adminPort);
});
