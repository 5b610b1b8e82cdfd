/**
 * `run()` resolves only when serving; otherwise the process exits 1 after logging why, without a
 * stack trace (issue 12, item 11). Each case in a real child process.
 *
 * 1. Serving: the line after `await life.run()` runs, in phase `serving`.
 * 2. A participant fails to start: that line never runs; exit 1; the failure is logged.
 * 3. A bad setting: exit 1 after the `config-invalid` line, no stack trace.
 * 4. The admin port taken: exit 1 after the admin's `participant-failed` line, no stack trace.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '../helpers/child-service.js';

const fixture = fileURLToPath(new URL('../fixtures/run-contract.ts', import.meta.url));

function start(env: Record<string, string>, t: { after(fn: () => Promise<void>): void }) {
  const service = startChildService(fixture, {
    LAMEDUCK_ADMIN_HOST: '127.0.0.1',
    LAMEDUCK_ADMIN_PORT: '0',
    ...env,
  });
  t.after(() => service.kill());
  return service;
}

/** Waits for the exit and checks: code 1, `run()` never returned, no stack trace printed. */
async function assertExitedBeforeServing(service: ChildService): Promise<void> {
  const exit = await service.exited;
  assert.equal(exit.code, 1, service.stderr());
  assert.equal(service.lines.filter((l) => l.event === 'fixture-run-resolved').length, 0);
  assert.doesNotMatch(service.stderr(), /^\s+at /m, 'no stack trace');
}

test('serving: run() resolves, and the line after it runs in phase serving', async (t) => {
  // 1. The happy path, for contrast.
  const service = start({}, t);
  const resolved = await service.waitForLine((l) => l.event === 'fixture-run-resolved');
  assert.equal(resolved.phase, 'serving');
  service.child.kill('SIGTERM');
  assert.equal((await service.exited).code, 0);
});

test('a participant that fails to start: run() never returns; exit 1 with the failure logged', async (t) => {
  // 2. It used to resolve, with the phase already stopped and the exit pending.
  const service = start({ FIXTURE_FAIL_START: '1' }, t);
  await assertExitedBeforeServing(service);
  const failed = await service.waitForLine((l) => l.event === 'participant-failed');
  assert.equal(failed.name, 'database');
  assert.match(JSON.stringify(failed.error), /ECONNREFUSED/);
  const stopped = await service.waitForLine((l) => l.event === 'stopped');
  assert.equal(stopped.exitCode, 1);
});

test('a bad setting: exit 1 after the config-invalid line, without a stack trace', async (t) => {
  // 3. It used to reject out of `await life.run()`: Node printed the stack of the rejection.
  const service = start({ LAMEDUCK_GRACE_PERIOD_SECONDS: 'thirty' }, t);
  await assertExitedBeforeServing(service);
  const invalid = await service.waitForLine((l) => l.event === 'config-invalid');
  assert.match(JSON.stringify(invalid.error), /LAMEDUCK_GRACE_PERIOD_SECONDS/);
});

test('the admin port taken: exit 1 after the admin failure line, without a stack trace', async (t) => {
  // 4. Hold a port, then ask for it.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const { port } = holder.address() as AddressInfo;
  const service = start({ LAMEDUCK_ADMIN_PORT: String(port) }, t);
  await assertExitedBeforeServing(service);
  const failed = await service.waitForLine((l) => l.event === 'participant-failed');
  assert.equal(failed.name, 'admin');
  assert.match(JSON.stringify(failed.error), /EADDRINUSE/);
});
