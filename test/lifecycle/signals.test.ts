/**
 * The lifecycle in a real child process, driven by real signals and preStop calls.
 *
 * 1. A request outliving the budget: the process exits 1 before the grace period ends, and the
 *    log names the forced request.
 * 2. A second SIGTERM during lame duck exits at once, with code 1.
 * 3. A preStop call then SIGTERM is one shutdown; a slow request still completes; exit 0.
 * 4. preStop called twice at once: both answered, one shutdown; it exits at the SIGTERM after.
 * 5. Bad configuration: the process logs a clear error and exits non-zero.
 * 6. /readyz turns 503 at SIGTERM (within 50 ms, of a 5 s lame duck).
 * 7. /lameduck/prestop from an address not allowed gets 403 and changes nothing; an allowed one
 *    (LAMEDUCK_PRESTOP_ALLOW) is accepted.
 * 8. The `lameduck prestop` exec hook calls the endpoint over loopback and waits.
 * 9. An uncaught error during the shutdown is logged; the drain still finishes; exit 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitForInFlight } from '../helpers/admin-in-flight.js';
import { startChildService, startListeningService } from '../helpers/child-service.js';
import { httpGet } from '../helpers/http-get.js';

const fixture = fileURLToPath(new URL('../fixtures/http-server.ts', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('a request outliving the budget is forced: exit 1 before the grace period, log names it', async (t) => {
  // 1. Grace 3 s with a 1 s margin: a 2 s budget; the request wants 20 s.
  const service = await startListeningService(fixture, {
    LAMEDUCK_GRACE_PERIOD_SECONDS: '3',
    LAMEDUCK_SAFETY_MARGIN_MS: '1000',
    LAMEDUCK_MIN_LAME_DUCK_MS: '200',
  });
  t.after(() => service.kill());
  const slow = httpGet(`http://127.0.0.1:${service.port}/slow?ms=20000`).catch((e: Error) => e);
  await waitForInFlight(service.adminPort, 1);
  const sigtermAtMs = performance.now();
  service.child.kill('SIGTERM');
  const exit = await service.exited;
  const exitAfterMs = exit.atMs - sigtermAtMs;
  assert.equal(exit.code, 1);
  assert.ok(
    exitAfterMs >= 2000 && exitAfterMs < 3000,
    `exited after ${Math.round(exitAfterMs)} ms`,
  );
  const stopped = await service.waitForLine((l) => l.event === 'participant-stopped');
  assert.equal(stopped.forced, true);
  // Read while serving: its time counts from lame duck on.
  assert.match(
    String((stopped.forcedWork as string[])[0]),
    /^GET \/slow in flight for at least \d+ ms$/,
  );
  assert.ok((await slow) instanceof Error, 'the forced request failed on the client');
});

test('a second SIGTERM during lame duck exits at once with code 1', async (t) => {
  // 2. A long minimum wait keeps the process in lame duck.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '20000' });
  t.after(() => service.kill());
  service.child.kill('SIGTERM');
  await service.waitForLine((l) => l.event === 'phase-changed' && l.to === 'lame-duck');
  const secondAtMs = performance.now();
  service.child.kill('SIGTERM');
  const exit = await service.exited;
  assert.equal(exit.code, 1);
  assert.ok(exit.atMs - secondAtMs < 1000, `exited ${Math.round(exit.atMs - secondAtMs)} ms later`);
  const forced = await service.waitForLine((l) => l.event === 'forced-exit');
  assert.equal(forced.reason, 'second-signal');
});

test('preStop then SIGTERM is one shutdown; the request in flight completes; exit 0', async (t) => {
  // 3. A slow request keeps the drain busy so that SIGTERM arrives while draining. It outlasts
  // the quiet period: 10 gaps at the rate its own arrival makes (4/s in a young meter), 2.5 s.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '300' });
  t.after(() => service.kill());
  const slow = httpGet(`http://127.0.0.1:${service.port}/slow?ms=4000`);
  await waitForInFlight(service.adminPort, 1);
  const prestopAtMs = performance.now();
  const prestop = await httpGet(`http://127.0.0.1:${service.adminPort}/lameduck/prestop`);
  assert.equal(prestop.status, 200);
  assert.ok(performance.now() - prestopAtMs >= 300, 'the hook returned after the minimum wait');
  service.child.kill('SIGTERM');
  assert.equal((await slow).status, 200);
  assert.equal((await slow).headers.connection, 'close');
  const exit = await service.exited;
  assert.equal(exit.code, 0, service.stderr());
  assert.equal(service.lines.filter((l) => l.event === 'shutdown-started').length, 1);
  assert.equal(service.lines.filter((l) => l.event === 'forced-exit').length, 0);
  const started = await service.waitForLine((l) => l.event === 'shutdown-started');
  assert.equal(started.trigger, 'prestop');
});

test('preStop delivered twice: both calls are answered after the wait, one shutdown', async (t) => {
  // 4. Hooks are delivered at least once: two at once must be harmless.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '300' });
  t.after(() => service.kill());
  const url = `http://127.0.0.1:${service.adminPort}/lameduck/prestop`;
  const answers = await Promise.all([httpGet(url), httpGet(url)]);
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200],
  );
  // The kubelet's SIGTERM follows the hook; the process waits for it once drained.
  await service.waitForLine((l) => l.event === 'exit-deferred');
  service.child.kill('SIGTERM');
  const exit = await service.exited;
  assert.equal(exit.code, 0);
  assert.equal(service.lines.filter((l) => l.event === 'shutdown-started').length, 1);
  assert.equal(service.lines.filter((l) => l.event === 'trigger-joined').length, 2);
});

test('bad configuration: a clear error naming the variable, and a non-zero exit', async (t) => {
  // 5. Each bad value, its message.
  const cases: Array<[Record<string, string>, RegExp]> = [
    [
      { LAMEDUCK_GRACE_PERIOD_SECONDS: 'thirty' },
      /LAMEDUCK_GRACE_PERIOD_SECONDS must be a whole decimal number from 1 to 2147483 .*, got 'thirty'/,
    ],
    // Past what a timer holds: the budget's timers would fire at once (issue 12, item 6).
    [
      { LAMEDUCK_GRACE_PERIOD_SECONDS: '2200000' },
      /LAMEDUCK_GRACE_PERIOD_SECONDS must be a whole decimal number from 1 to 2147483 \(the longest a timer holds is 2\^31 - 1 ms, about 24.8 days\), got '2200000'/,
    ],
    // Hex is not decimal (issue 12, item 7).
    [
      { LAMEDUCK_GRACE_PERIOD_SECONDS: '0x1e' },
      /LAMEDUCK_GRACE_PERIOD_SECONDS must be a whole decimal number .*, got '0x1e'/,
    ],
    [
      { LAMEDUCK_GRACE_PERIOD_SECONDS: '5', LAMEDUCK_MIN_LAME_DUCK_MS: '4000' },
      /LAMEDUCK_MIN_LAME_DUCK_MS=4000 leaves no time to drain: .* budget of 3000 ms \(LAMEDUCK_GRACE_PERIOD_SECONDS=5 minus/,
    ],
    [
      { LAMEDUCK_PRESTOP_ALLOW: 'node-1' },
      /LAMEDUCK_PRESTOP_ALLOW entry 'node-1' is not an IP address or CIDR/,
    ],
    // A trailing slash used to be a /0: everyone could start the shutdown (issue 12, item 1).
    [
      { LAMEDUCK_PRESTOP_ALLOW: '10.1.2.3,10.244.0.0/' },
      /LAMEDUCK_PRESTOP_ALLOW entry '10.244.0.0\/' has the prefix length ''/,
    ],
    // This one aborted the process in BlockList.addSubnet, exit 134 (issue 12, item 2).
    [
      { HOST_IP: '10.0.0.1/-0' },
      /HOST_IP '10.0.0.1\/-0' is a range: it must be the node's one address/,
    ],
    [
      { LAMEDUCK_ADMIN_PORT: 'x' },
      /LAMEDUCK_ADMIN_PORT must be a whole decimal number from 0 to 65535, got 'x'/,
    ],
  ];
  for (const [env, message] of cases) {
    const service = startChildService(fixture, { LAMEDUCK_ADMIN_HOST: '127.0.0.1', ...env });
    t.after(() => service.kill());
    const line = await service.waitForLine((l) => l.event === 'config-invalid');
    assert.match(JSON.stringify(line.error), message);
    assert.notEqual((await service.exited).code, 0);
  }
});

test('/readyz turns 503 at SIGTERM, not later in lame duck', async (t) => {
  // 6. Poll /readyz back to back over one keep-alive connection while the signal lands.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '5000' });
  t.after(() => service.kill());
  const url = `http://127.0.0.1:${service.adminPort}/readyz`;
  assert.equal((await httpGet(url)).status, 200);
  const sigtermAtMs = performance.now();
  service.child.kill('SIGTERM');
  let flippedAfterMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2000; i++) {
    const { status } = await httpGet(url);
    if (status === 503) {
      flippedAfterMs = performance.now() - sigtermAtMs;
      break;
    }
  }
  // In process the flip is synchronous with the trigger (lifecycle unit tests). Seen from here it
  // also holds signal delivery and two processes' scheduling: 10 ms on an idle machine, up to
  // ~15 ms on two busy cores. 50 ms still tells "at the trigger" from "with the drain" (5 s).
  assert.ok(flippedAfterMs <= 50, `503 seen ${flippedAfterMs.toFixed(1)} ms after SIGTERM`);
});

test('/lameduck/prestop from an address not allowed gets 403 and changes nothing', async (t) => {
  // 7. 127.0.0.2 is not the allowed loopback address; 127.0.0.3 is allow-listed.
  const service = await startListeningService(fixture, {
    LAMEDUCK_MIN_LAME_DUCK_MS: '300',
    LAMEDUCK_PRESTOP_ALLOW: '127.0.0.3/32',
  });
  t.after(() => service.kill());
  const base = `http://127.0.0.1:${service.adminPort}`;
  const refused = await httpGet(`${base}/lameduck/prestop`, { localAddress: '127.0.0.2' });
  assert.equal(refused.status, 403);
  const logged = await service.waitForLine((l) => l.event === 'prestop-refused');
  assert.equal(logged.remoteAddress, '127.0.0.2');
  assert.equal((await httpGet(`${base}/readyz`)).status, 200);
  assert.equal(service.lines.filter((l) => l.event === 'shutdown-started').length, 0);
  const accepted = await httpGet(`${base}/lameduck/prestop`, { localAddress: '127.0.0.3' });
  assert.equal(accepted.status, 200);
  await service.waitForLine((l) => l.event === 'exit-deferred');
  service.child.kill('SIGTERM');
  assert.equal((await service.exited).code, 0);
});

test('`lameduck prestop` (the exec hook) waits for the lame-duck wait over loopback', async (t) => {
  // 8. The CLI, as an exec hook would run it.
  const service = await startListeningService(fixture, { LAMEDUCK_MIN_LAME_DUCK_MS: '300' });
  t.after(() => service.kill());
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    cli,
    'prestop',
    '--port',
    String(service.adminPort),
  ]);
  assert.match(stdout, /lame duck over/);
  await service.waitForLine((l) => l.event === 'exit-deferred');
  service.child.kill('SIGTERM');
  assert.equal((await service.exited).code, 0);
});

test('an uncaught error during shutdown is logged, the drain finishes, exit 1', async (t) => {
  // 9. The fixture throws 10 ms after the trigger, while a request is in flight.
  const service = await startListeningService(fixture, {
    LAMEDUCK_MIN_LAME_DUCK_MS: '300',
    FIXTURE_THROW_DURING_SHUTDOWN: '1',
  });
  t.after(() => service.kill());
  const slow = httpGet(`http://127.0.0.1:${service.port}/slow?ms=500`);
  await waitForInFlight(service.adminPort, 1);
  service.child.kill('SIGTERM');
  assert.equal((await slow).status, 200);
  const exit = await service.exited;
  assert.equal(exit.code, 1);
  const uncaught = await service.waitForLine((l) => l.event === 'uncaught-error');
  assert.match(JSON.stringify(uncaught.error), /bug during shutdown/);
  const stopped = await service.waitForLine((l) => l.event === 'participant-stopped');
  assert.equal(stopped.forced, false);
});
