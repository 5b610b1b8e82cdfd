import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import {
  experimental,
  type Server as GrpcServer,
  status as GrpcStatus,
  ServerCredentials,
} from '@grpc/grpc-js';
import { InFlightList, type ReadonlyInFlightList } from '../drain/in-flight-list.js';
import type { TrafficMeter } from '../drain/traffic-meter.js';
import { LameduckError } from '../errors/lameduck-error.js';
import { waitForDrain } from '../http/drain-wait.js';
import { createH2Sessions } from '../http/h2-sessions.js';
import { runFirst } from '../http/run-first.js';
import type {
  LameDuckAware,
  MetricsSource,
  Nudger,
  Participant,
  ServingAware,
  StopOutcome,
  TrafficSource,
} from '../lifecycle/participant.js';
import { assertKnownOptions } from '../options/option-check.js';
import { timerDelayProblem } from '../options/timer-delay.js';
import { createCallTracker, type TrackedCall } from './call-tracker.js';
import { checkGrpcJsForDrain, type GrpcHttp2Server, http2ServersOf } from './grpc-internals.js';
import { createGrpcHealth, type GrpcHealth } from './health.js';
import { healthServicePathPrefix } from './health-proto.js';
import { registerGrpcMetrics } from './server-metrics.js';

/** Options of {@link drainGrpcServer}. */
export interface GrpcDrainOptions {
  /** Names the participant in logs and metrics. Default: `'grpc'`. */
  name: string;
  /** Where to listen, in grpc-js `bindAsync` form, e.g. `0.0.0.0:50051`. Required. */
  address: string;
  /** Credentials to bind with. Default: `ServerCredentials.createInsecure()`. */
  credentials: ServerCredentials;
  /**
   * How long long-lived calls (client, server and bidi streams) have to finish after
   * {@link GrpcDrainParticipant.drainSignal} fires. Those still open are then ended with
   * UNAVAILABLE, which callers may retry elsewhere. Default: 3000.
   */
  streamGraceMs: number;
  /**
   * The `grpc.health.v1.Health` service to register and tie to the lifecycle, or `false` for
   * none. Default: a new {@link createGrpcHealth}.
   */
  health: GrpcHealth | false;
  /**
   * Tells probe calls apart by method path: served, but not traffic, or a readiness probe would
   * keep the quiet-period detector from ever seeing quiet. Default: the health service's methods.
   */
  isProbe: (method: string) => boolean;
  /** Monotonic clock for the traffic meter. Default: `performance.now`. */
  now: () => number;
}

/** Defaults of {@link GrpcDrainOptions} (a new health service and insecure credentials aside). */
export const grpcDrainDefaults = {
  name: 'grpc',
  streamGraceMs: 3000,
  isProbe: (method: string) => method.startsWith(healthServicePathPrefix),
  now: () => performance.now(),
} satisfies Partial<GrpcDrainOptions>;

/** The participant {@link drainGrpcServer} returns. */
export type GrpcDrainParticipant = Participant &
  ServingAware &
  LameDuckAware &
  Nudger &
  TrafficSource &
  MetricsSource & {
    /** Arrivals and calls in flight, health probes excluded. */
    readonly traffic: TrafficMeter;
    /** The health service tied to the lifecycle, unless disabled. */
    readonly health: GrpcHealth | undefined;
    /**
     * Fires when draining starts. Long-lived handlers listen to it to send their last message
     * and finish with OK before `streamGraceMs` runs out.
     */
    readonly drainSignal: AbortSignal;
    /** Calls in flight now. */
    readonly calls: ReadonlyInFlightList<TrackedCall>;
    /** The port bound by `start()`; throws before. */
    readonly port: number;
  };

const shuttingDown = 'server is shutting down';
// After the budget ran out, the UNAVAILABLE trailers get this long to leave before sockets die.
const forcedFlushMs = 50;

/**
 * Makes a grpc-js server a lifecycle participant that leaves without failing a call.
 *
 * - `start` binds `address` with an interceptor that counts calls (in flight, arrivals per
 *   method), and registers the health service.
 * - Serving: health SERVING. Lame duck: health NOT_SERVING; every call is still served. Once the
 *   minimum wait has passed, each connection is closed (final GOAWAY) as soon as it has no call
 *   open; connections opened later after their first call; so callers reconnect elsewhere. No
 *   GOAWAY goes out while calls are open: grpc-js clients with keepalive drop every call on a
 *   connection that got one (see `H2SessionsOptions`).
 * - Draining (`stop`): the listener closes; unary calls finish; `drainSignal` fires and health
 *   Watch streams end with OK; streams still open after `streamGraceMs` end with UNAVAILABLE
 *   (never CANCELLED, which retry policies do not retry). When the budget's signal aborts, every
 *   call left ends with UNAVAILABLE, connections are destroyed, and the calls are reported forced.
 */
export function drainGrpcServer(
  server: GrpcServer,
  options: Partial<GrpcDrainOptions> & Pick<GrpcDrainOptions, 'address'>,
): GrpcDrainParticipant {
  assertKnownOptions('grpc', options, [
    ...Object.keys(grpcDrainDefaults),
    'address',
    'credentials',
    'health',
  ]);
  const { name, address, streamGraceMs, isProbe, now } = { ...grpcDrainDefaults, ...options };
  if (typeof address !== 'string' || address.length === 0) {
    throw new LameduckError('invalid_config', `grpc: server '${name}' needs an address to bind`);
  }
  const streamGraceProblem = timerDelayProblem('streamGraceMs', streamGraceMs, 0);
  if (streamGraceProblem !== undefined) {
    throw new LameduckError('invalid_config', `grpc: ${streamGraceProblem}`);
  }
  const credentials = options.credentials ?? ServerCredentials.createInsecure();
  checkGrpcJsForDrain(credentials);
  const health = options.health === false ? undefined : (options.health ?? createGrpcHealth());
  if (health !== undefined) {
    try {
      server.addService(health.definition, health.implementation);
    } catch (error) {
      throw new LameduckError(
        'invalid_config',
        `grpc: cannot add the health service to server '${name}' (pass health: false if it has its own): ${LameduckError.from(error).rawMessage}`,
        { cause: error },
      );
    }
  }
  const tracker = createCallTracker({ isProbe, now });
  const sessions = createH2Sessions({ goawayOnlyWhenIdle: true });
  const sockets = new InFlightList<Socket>();
  const drainController = new AbortController();
  // Every long-lived handler may listen; the default limit of 10 would warn.
  setMaxListeners(0, drainController.signal);
  let listening: GrpcHttp2Server[] = [];
  let closed: Promise<unknown> = Promise.resolve();
  let boundPort: number | undefined;
  // Why there is no port, once start() failed to bind: said again by `port`, so that code reading
  // it during the shutdown that follows repeats the real cause instead of "not bound yet".
  let bindFailure: LameduckError | undefined;

  const onSocket = (socket: Socket): void => {
    const entry = sockets.add(socket);
    socket.once('close', () => sockets.remove(entry));
  };
  // Puts grpc-js's own 'stream' listeners back, one per server.
  let putStreamListenersBack: Array<() => void> = [];
  const attach = (http2Server: GrpcHttp2Server): void => {
    http2Server.prependListener('connection', onSocket);
    http2Server.prependListener('session', sessions.track);
    putStreamListenersBack.push(runFirst(http2Server, 'stream', 4, sessions.trackStream));
  };
  const detach = (): void => {
    for (const http2Server of listening) {
      http2Server.off('connection', onSocket);
      http2Server.off('session', sessions.track);
    }
    for (const putBack of putStreamListenersBack) putBack();
    putStreamListenersBack = [];
  };
  const describe = (call: TrackedCall, atMs: number): string =>
    `${call.method}${call.streaming ? ' (stream)' : ''} from ${call.peer()} in flight for ${Math.round(atMs - call.startedAtMs)} ms`;

  const bind = (signal: AbortSignal): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      // First in the list is innermost: the tracker must sit next to grpc-js's own call. The
      // credentials' own interceptors (an auth check) are kept, outside it.
      const withInterceptor = experimental.createServerCredentialsWithInterceptors(credentials, [
        tracker.interceptor,
        ...credentials._getInterceptors(),
      ]);
      server.bindAsync(address, withInterceptor, (error, port) => {
        if (error !== null) {
          reject(
            new LameduckError(
              'unavailable',
              `grpc: server '${name}' failed to bind ${address}: ${error.message}${
                error.message.includes('EADDRINUSE')
                  ? '; another process (a second instance?) holds the port: give this server another address'
                  : ''
              }`,
              { cause: error },
            ),
          );
        } else if (signal.aborted) {
          unbind(port);
          reject(signal.reason);
        } else {
          resolve(port);
        }
      });
    });
  const unbind = (port: number): void => {
    // grpc-js files a port-0 bind under the port it got.
    server.unbind(address.replace(/:0$/, `:${port}`));
  };

  const destroyConnections = (): number => {
    const count = sockets.size;
    sessions.destroy();
    for (const socket of sockets) socket.destroy();
    return count;
  };
  const endCalls = (calls: Iterable<TrackedCall>, details: string, atMs: number): string[] => {
    const ended: string[] = [];
    for (const call of calls) {
      ended.push(describe(call, atMs));
      call.end(GrpcStatus.UNAVAILABLE, details);
    }
    return ended;
  };

  return {
    name,
    health,
    get traffic() {
      return tracker.traffic;
    },
    get calls() {
      return tracker.calls;
    },
    drainSignal: drainController.signal,
    get port() {
      if (bindFailure !== undefined) {
        throw new LameduckError(
          'unavailable',
          `grpc: server '${name}' has no port: ${bindFailure.rawMessage}`,
          { cause: bindFailure },
        );
      }
      if (boundPort === undefined) {
        throw new LameduckError(
          'invalid_state',
          `grpc: server '${name}' is not bound yet: its port is known once the lifecycle has started it`,
        );
      }
      return boundPort;
    },
    registerMetrics(registry) {
      registerGrpcMetrics(registry, name, tracker.methods);
    },
    async start(signal) {
      if (signal.aborted) throw signal.reason;
      const before = new Set(http2ServersOf(server));
      try {
        boundPort = await bind(signal);
      } catch (error) {
        bindFailure = LameduckError.from(error);
        throw error;
      }
      listening = http2ServersOf(server).filter((s) => !before.has(s));
      if (listening.length === 0) {
        unbind(boundPort);
        throw new LameduckError(
          'internal',
          `grpc: bound ${address} but found no new http2 server on '${name}'`,
        );
      }
      for (const http2Server of listening) attach(http2Server);
      // 'close' comes once the listener is closed and every connection has ended.
      closed = Promise.all(
        listening.map(
          (http2Server) => new Promise((resolve) => http2Server.once('close', resolve)),
        ),
      );
    },
    enterServing() {
      health?.setLifecycleServing(true);
    },
    enterLameDuck() {
      health?.setLifecycleServing(false);
    },
    nudge() {
      sessions.notice();
    },
    async stop(signal) {
      health?.setLifecycleServing(false);
      drainController.abort(
        new LameduckError(
          'unavailable',
          `grpc: server '${name}' is draining; end long-lived calls`,
        ),
      );
      health?.endWatches();
      sessions.close();
      if (boundPort !== undefined) unbind(boundPort);
      for (const http2Server of listening) if (http2Server.listening) http2Server.close();

      const cutShort: string[] = [];
      const streamGraceTimer = setTimeout(() => {
        const streams = [...tracker.calls].filter((call) => call.streaming && !call.statusSent);
        cutShort.push(
          ...endCalls(streams, `${shuttingDown}: the stream outlived its grace period`, now()),
        );
      }, streamGraceMs);
      let flushTimer: NodeJS.Timeout | undefined;
      try {
        const waited = await waitForDrain({
          idle: tracker.whenIdle(),
          closed,
          signal,
          destroyConnections,
        });
        if (!waited.aborted) return { forced: false, cutShort: [...cutShort, ...waited.cutShort] };
        const forcedWork = endCalls(
          tracker.calls,
          `${shuttingDown}: the call outlived the shutdown budget`,
          now(),
        );
        await Promise.race([
          closed,
          new Promise((resolve) => {
            flushTimer = setTimeout(resolve, forcedFlushMs);
          }),
        ]);
        destroyConnections();
        return {
          forced: forcedWork.length > 0,
          forcedWork,
          cutShort: [...cutShort, ...waited.cutShort],
        } satisfies StopOutcome;
      } finally {
        clearTimeout(streamGraceTimer);
        clearTimeout(flushTimer);
        detach();
      }
    },
  };
}
