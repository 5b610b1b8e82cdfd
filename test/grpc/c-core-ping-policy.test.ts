/**
 * lameduck's client keepalive against gRPC C-core servers (Debian's python3-grpcio). C-core's
 * default ping policy answers its pings with GOAWAY too_many_pings, after which grpc-js doubles
 * its interval each time, so a hung server goes unnoticed longer and longer; with the two
 * settings the README gives for C-core servers, the same pings are accepted.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChildProcess } from '../helpers/child-service.js';
import { comparePingPolicies } from '../helpers/ping-policy.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

const serverScript = fileURLToPath(
  new URL('../fixtures/grpc_ping_policy_server.py', import.meta.url),
);

async function startServer(t: TestContext, args: string[]): Promise<number> {
  const server = startChildProcess(
    '/usr/bin/python3',
    [serverScript, ...args],
    {},
    {
      stdin: 'pipe',
    },
  );
  t.after(() => server.kill());
  const started = await server.waitForLine((line) => line.event === 'server-started');
  return Number(started.port);
}

test('C-core refuses lameduck’s keepalive by default and accepts it with the README’s settings', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const [defaultPort, allowingPort] = await Promise.all([
    startServer(t, []),
    startServer(t, ['400']),
  ]);
  const outcome = await comparePingPolicies(t, {
    defaultPort,
    allowingPort,
    method: '/lameduck.test.Raw/Echo',
    request: Buffer.from('ping'),
  });
  assert.match(outcome.defaultRefusals[0] ?? '', /Increasing ping interval to 1000 ms/);
  assert.deepEqual(outcome.allowingRefusals, []);
  assert.deepEqual(outcome.allowingStates, [], 'the allowing server’s connection never left READY');
  assert.ok(outcome.defaultStates.includes('IDLE'), outcome.defaultStates.join(' → '));
});
