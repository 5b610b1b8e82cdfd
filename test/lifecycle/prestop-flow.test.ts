/**
 * The kubelet's sequence with lameduck's preStop hook (issue 15, item 5): the hook, then SIGTERM.
 * Hooks are delivered at least once, so a repeated call must succeed too. Run once with the
 * httpGet hook and once with the exec hook (`lameduck prestop`):
 *
 * 1. Start the service; send it a request so that it has seen traffic.
 * 2. Call the hook: it returns 200 (exec: exit 0) once the lame-duck wait is over.
 * 3. The drain runs at once; the process does not exit: it logs `exit-deferred`.
 * 4. The hook again, as a duplicate delivery: 200 (exec: exit 0) at once.
 * 5. SIGTERM: the process exits 0 promptly, one shutdown in the log.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startListeningService } from '../helpers/child-service.js';
import { httpGet } from '../helpers/http-get.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The hook as the kubelet runs it; resolves with what it reports. */
type Hook = (adminPort: number) => Promise<string>;

const httpGetHook: Hook = async (adminPort) => {
  const { status, body } = await httpGet(`http://127.0.0.1:${adminPort}/lameduck/prestop`);
  assert.equal(status, 200, body);
  return body;
};

const execHook: Hook = async (adminPort) => {
  // The exec hook reads the admin port from the container's env, as the app does.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', cli, 'prestop'],
    {
      env: { ...process.env, LAMEDUCK_ADMIN_PORT: String(adminPort) },
    },
  );
  return stdout;
};

for (const [kind, hook] of [
  ['httpGet', httpGetHook],
  ['exec', execHook],
] as const) {
  test(`${kind} hook, then SIGTERM: the process drains, stays for SIGTERM, answers a repeated hook, exits 0`, async (t) => {
    // 1. Serving, with some traffic seen.
    const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '300' });
    t.after(() => service.kill());
    assert.equal((await httpGet(`http://127.0.0.1:${service.port}/`)).status, 200);
    // 2. The hook returns when the lame-duck wait is over.
    assert.match(await hook(service.adminPort), /lame duck over/);
    // 3. Drained, and still there.
    const deferred = await service.waitForLine((l) => l.event === 'exit-deferred');
    assert.ok(Number(deferred.maxWaitMs) > 0);
    assert.equal(service.child.exitCode, null, 'the process waits for SIGTERM');
    // 4. A duplicate delivery of the hook succeeds at once.
    const repeatedAtMs = performance.now();
    assert.match(await hook(service.adminPort), /lame duck over/);
    assert.ok(performance.now() - repeatedAtMs < 5000, 'answered without a new wait');
    // 5. The kubelet's SIGTERM ends it.
    const sigtermAtMs = performance.now();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    assert.equal(exit.code, 0, service.stderr());
    assert.ok(
      exit.atMs - sigtermAtMs < 1000,
      `exited ${Math.round(exit.atMs - sigtermAtMs)} ms after SIGTERM`,
    );
    assert.equal(service.lines.filter((l) => l.event === 'shutdown-started').length, 1);
    assert.equal(service.lines.filter((l) => l.event === 'forced-exit').length, 0);
  });
}
