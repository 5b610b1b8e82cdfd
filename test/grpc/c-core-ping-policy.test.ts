/**
 * lameduck's client keepalive (`etcdChannelOptions`: a ping every 500 ms, with or without calls)
 * against gRPC C-core servers (Debian's python3-grpcio). C-core's default ping policy answers
 * such pings with GOAWAY too_many_pings, after which grpc-js doubles its interval each time, so
 * a hung server goes unnoticed longer and longer; with the two settings the README gives for
 * C-core servers, the same pings are accepted. Both servers run at once, and the one with the
 * default policy is the clock: once it has sent two GOAWAYs, the other has had at least as many
 * pings, well past C-core's two strikes.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Client,
  connectivityState,
  credentials,
  logVerbosity,
  setLogger,
  setLogVerbosity,
} from '@grpc/grpc-js';
import { etcdChannelOptions } from '../../src/grpc/index.js';
import { startChildProcess } from '../helpers/child-service.js';
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

function connect(t: TestContext, port: number) {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), etcdChannelOptions);
  t.after(() => client.close());
  const echo = () =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(
        '/lameduck.test.Raw/Echo',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from('ping'),
        (error) => (error === null ? resolve() : reject(error)),
      );
    });
  const states: string[] = [];
  const watch = () => {
    const channel = client.getChannel();
    const current = channel.getConnectivityState(false);
    channel.watchConnectivityState(current, Number.POSITIVE_INFINITY, () => {
      const next = channel.getConnectivityState(false);
      states.push(connectivityState[next]);
      if (next !== connectivityState.SHUTDOWN) watch();
    });
  };
  watch();
  return { echo, states };
}

test('C-core refuses lameduck’s keepalive by default and accepts it with the README’s settings', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  // grpc-js reports each too_many_pings GOAWAY as an error log naming the target.
  const refusals: string[] = [];
  let onRefusal = () => {};
  setLogVerbosity(logVerbosity.ERROR);
  setLogger({
    error: (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (/excess pings/.test(text)) {
        refusals.push(text);
        onRefusal();
      }
    },
  });
  const [defaultPort, allowingPort] = await Promise.all([
    startServer(t, []),
    startServer(t, ['400']),
  ]);
  const defaults = connect(t, defaultPort);
  const allowing = connect(t, allowingPort);
  await Promise.all([defaults.echo(), allowing.echo()]);
  // From here on, only changes count: both connections are READY.
  allowing.states.length = 0;

  const refusalsOf = (port: number) =>
    refusals.filter((text) => text.includes(`127.0.0.1:${port} `)).length;
  // After a GOAWAY the channel idles until the next call: a call reconnects it, to be refused
  // again, now at 1 s pings.
  await new Promise<void>((resolve, reject) => {
    onRefusal = () => {
      if (refusalsOf(defaultPort) >= 2) resolve();
      else defaults.echo().catch(reject);
    };
  });

  assert.match(
    refusals.find((text) => text.includes(`${defaultPort}`)) ?? '',
    /Increasing ping interval to 1000 ms/,
  );
  assert.equal(refusalsOf(allowingPort), 0, refusals.join('\n'));
  assert.deepEqual(allowing.states, [], 'the allowing server’s connection never left READY');
  assert.ok(defaults.states.includes('IDLE'), `default policy: ${defaults.states.join(' → ')}`);
  // Both still serve: a GOAWAY drains the connection, it does not fail calls.
  await Promise.all([defaults.echo(), allowing.echo()]);
});
