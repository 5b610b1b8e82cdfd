/**
 * lameduck's client keepalive (`etcdChannelOptions`: a ping every 500 ms, with or without calls)
 * against two servers of another gRPC implementation at once: one with its default ping policy,
 * one with the settings lameduck's docs give for it. The default one is the clock: once it has
 * refused the pings twice (GOAWAY too_many_pings, after which grpc-js doubles its interval), the
 * other has had at least as many pings, well past any two-strike policy.
 */
import type { TestContext } from 'node:test';
import {
  Client,
  connectivityState,
  credentials,
  logVerbosity,
  setLogger,
  setLogVerbosity,
} from '@grpc/grpc-js';
import { etcdChannelOptions } from '../../src/registry/index.js';

/** What each server did with the pings. */
export interface PingPolicyOutcome {
  /** grpc-js's error logs about excess pings, for the server with the default policy. */
  defaultRefusals: string[];
  /** The same for the server with the documented settings. */
  allowingRefusals: string[];
  /** Connectivity states the default server's channel went through after it was READY. */
  defaultStates: string[];
  /** The same for the allowing server's channel: none means it never left READY. */
  allowingStates: string[];
}

function connect(t: TestContext, port: number, method: string, request: Buffer) {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), etcdChannelOptions);
  t.after(() => client.close());
  const call = () =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(
        method,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request,
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
  return { call, states };
}

/**
 * Connects lameduck's client keepalive to both servers, calls each once, and runs until the
 * default server has refused the pings twice; then calls each once more (a GOAWAY drains a
 * connection, it does not fail calls).
 */
export async function comparePingPolicies(
  t: TestContext,
  servers: { defaultPort: number; allowingPort: number; method: string; request: Buffer },
): Promise<PingPolicyOutcome> {
  const { defaultPort, allowingPort, method, request } = servers;
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
  t.after(() => setLogger(console));
  const defaults = connect(t, defaultPort, method, request);
  const allowing = connect(t, allowingPort, method, request);
  await Promise.all([defaults.call(), allowing.call()]);
  // From here on, only changes count: both connections are READY.
  allowing.states.length = 0;
  defaults.states.length = 0;

  const refusalsOf = (port: number) => refusals.filter((text) => text.includes(`:${port} `));
  // After a GOAWAY the channel idles until the next call: a call reconnects it, to be refused
  // again, now at 1 s pings.
  await new Promise<void>((resolve, reject) => {
    onRefusal = () => {
      if (refusalsOf(defaultPort).length >= 2) resolve();
      else defaults.call().catch(reject);
    };
  });
  await Promise.all([defaults.call(), allowing.call()]);
  return {
    defaultRefusals: refusalsOf(defaultPort),
    allowingRefusals: refusalsOf(allowingPort),
    defaultStates: defaults.states,
    allowingStates: allowing.states,
  };
}
