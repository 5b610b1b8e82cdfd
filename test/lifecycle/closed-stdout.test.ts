/**
 * A service whose standard output was closed by its reader (`node app.js | head`): the shutdown's
 * log lines meet EPIPE (issue 15, item 12).
 *
 * 1. Start the service; once it serves, close the reading end of its stdout.
 * 2. Send a slow request, then SIGTERM: the lines logged from now on cannot be written.
 * 3. The request completes, the process exits 0 (the drain ran), and standard error says once
 *    that stdout is gone and carries the lines that could not go there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitForInFlight } from '../helpers/admin-in-flight.js';
import { startListeningService } from '../helpers/child-service.js';
import { httpGet } from '../helpers/http-get.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));

test('a closed stdout does not take the drain down: exit 0, one notice, the lines on stderr', async (t) => {
  // 1. Serving, then stdout's reader goes away.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '200' });
  t.after(() => service.kill());
  service.child.stdout?.destroy();
  // 2. A request in flight, then SIGTERM.
  const slow = httpGet(`http://127.0.0.1:${service.port}/slow?ms=300`);
  await waitForInFlight(service.adminPort, 1);
  service.child.kill('SIGTERM');
  // 3. The drain ran to the end.
  assert.equal((await slow).status, 200);
  const exit = await service.exited;
  assert.equal(exit.code, 0, service.stderr());
  const stderr = service.stderr();
  const notices = stderr.split('\n').filter((l) => l.includes('standard output is closed'));
  assert.equal(notices.length, 1, stderr);
  assert.match(stderr, /"event":"stopped","exitCode":0/);
});
