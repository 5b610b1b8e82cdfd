import { setMaxListeners } from 'node:events';
import {
  Server as HttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Http2SecureServer, Http2Server, Http2Session, ServerHttp2Stream } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type InFlightEntry, InFlightList } from '../drain/in-flight-list.js';
import {
  createTrafficMeter,
  type TrafficSnapshot,
  trafficMeterDefaults,
} from '../drain/traffic-meter.js';
import { LameduckError } from '../errors/lameduck-error.js';
import type {
  LameDuckAware,
  Nudger,
  Participant,
  TrafficSource,
} from '../lifecycle/participant.js';
import { assertKnownOptions } from '../options/option-check.js';
import { timerDelayProblem } from '../options/timer-delay.js';
import { waitForDrain } from './drain-wait.js';
import { createH2Sessions } from './h2-sessions.js';
import { createHttp1Requests } from './http1-requests.js';
import { createInFlightRequests, type InFlightRequest } from './in-flight-requests.js';
import { listenAlongside } from './listen-alongside.js';
import { rawHeader } from './raw-header.js';
import { runFirst } from './run-first.js';
import { createUpgradedConnections } from './upgraded-connections.js';
import { whenListening } from './when-listening.js';

/** Any server `drainHttpServer` accepts: node:http, node:https, node:http2 (h2c and secure). */
export type DrainableServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer;

/** Options of {@link drainHttpServer}. */
export interface HttpDrainOptions {
  /** Names the participant in logs and metrics. Default: `'http'`. */
  name: string;
  /**
   * How long upgraded connections (WebSocket, or any protocol reached through an HTTP/1.1
   * `Upgrade`) have to close after {@link HttpDrainParticipant.drainSignal} fires. Those still
   * open are then destroyed and logged as cut short, each by request, protocol and peer.
   * Default: 3000.
   */
  upgradeGraceMs: number;
  /**
   * Tells probe requests apart by their `User-Agent`: they are served but do not count as
   * traffic, or a readiness probe on the serving port would keep the quiet-period detector from
   * ever seeing quiet. Default: a `User-Agent` starting with `kube-probe/` (the kubelet's).
   */
  isProbe: (userAgent: string | undefined) => boolean;
  /** Monotonic clock for the traffic meter. Default: `performance.now`. */
  now: () => number;
}

/** Defaults of {@link HttpDrainOptions}. */
export const httpDrainDefaults: HttpDrainOptions = {
  name: 'http',
  upgradeGraceMs: 3000,
  isProbe: (userAgent) => userAgent?.startsWith('kube-probe/') ?? false,
  now: () => performance.now(),
};

/** The participant {@link drainHttpServer} returns. */
export type HttpDrainParticipant = Participant &
  LameDuckAware &
  Nudger &
  TrafficSource & {
    /** Arrivals, and requests and upgraded connections in flight, of this server. */
    readonly traffic: TrafficSnapshot;
    /**
     * Fires when draining starts. Applications with upgraded connections (WebSockets) listen to
     * it to close them (a WebSocket close frame with 1001, going away) before `upgradeGraceMs`
     * runs out; a connection upgraded while draining finds it already aborted.
     */
    readonly drainSignal: AbortSignal;
  };

// How often the arrivals counted while serving are settled into the meter's rate. Each settle
// spreads them evenly over the interval, so the rate over the window stays right for steady
// traffic; at the trigger the meter is settled at once. Not every bucket width (250 ms): under
// callgrind a timer four times a second cost the benchmark's server about 100 instructions per
// request, and a late TurboFan compile in some measured windows; one every 5 s, a twentieth.
const settleIntervalMs = trafficMeterDefaults.rateWindowMs / 2;

/**
 * Makes an HTTP server a lifecycle participant that leaves without failing a request.
 *
 * - Serving: counts arrivals (HTTP/1 requests, upgrades, HTTP/2 sessions and streams) and
 *   requests in flight, including those answered through `checkContinue` or `checkExpectation`
 *   listeners and connections upgraded through `upgrade` listeners (WebSockets). On node:http
 *   and node:https servers an HTTP/1 request costs a count and nothing more: it is tracked one by
 *   one only from lame duck on, when those still being answered are picked up from their
 *   connections (their in-flight time then reads "at least", from the start of lame duck).
 * - Lame duck: keeps serving every request. HTTP/1.1 responses carry `Connection: close`, so
 *   keep-alive callers reconnect, and after endpoint removal land elsewhere. Of requests
 *   pipelined on one connection, only the last one read gets it, and all are answered; one read
 *   after a response already committed `Connection: close` is never handed to the application
 *   nor counted (RFC 9112 section 9.6; the client retries it). Once the minimum wait has passed,
 *   HTTP/2 sessions get a GOAWAY; their open streams finish.
 * - Draining (`stop`): the listener closes; idle keep-alive sockets are ended between requests,
 *   busy ones right after their last response; HTTP/2 sessions close once their streams end.
 *   `drainSignal` fires; upgraded connections still open after `upgradeGraceMs` are destroyed and
 *   logged as cut short. When the budget's signal aborts, what is left is destroyed and reported
 *   as forced work (requests by method and path, upgraded connections by peer too); connections
 *   whose request headers were still arriving are logged as cut short.
 *
 * Attach it before the server gets traffic and after the application's `request` listeners; it
 * adds listeners only (on `checkContinue`, `checkExpectation` and `upgrade` only while the
 * application has its own), and `stop` removes them. Throws `invalid_config` when an option
 * cannot work.
 */
export function drainHttpServer(
  server: DrainableServer,
  options: Partial<HttpDrainOptions> = {},
): HttpDrainParticipant {
  assertKnownOptions('http', options, Object.keys(httpDrainDefaults));
  const { name, upgradeGraceMs, isProbe, now } = { ...httpDrainDefaults, ...options };
  const graceProblem = timerDelayProblem('upgradeGraceMs', upgradeGraceMs, 0);
  if (graceProblem !== undefined) {
    throw new LameduckError('invalid_config', `http: ${graceProblem}`);
  }
  const meter = createTrafficMeter({ now });
  // Not duck-typed: Node 20's Http2SecureServer has closeIdleConnections too (for allowHTTP1),
  // and https.Server does not extend http.Server.
  const isHttp2 = !(server instanceof HttpServer || server instanceof HttpsServer);
  // Compat 'request' listeners on an HTTP/2 server turn on the compat layer: add ours only if the
  // application already uses it (HTTP/1 requests with allowHTTP1 arrive there too).
  const watchRequests = !isHttp2 || server.listenerCount('request') > 0;
  // HTTP connections, kept to be destroyed at the end; upgraded ones move to `upgrades`.
  const sockets = new InFlightList<Socket>();
  const sessions = createH2Sessions();
  // Set by stop(): called once nothing is in flight.
  let onIdle: (() => void) | undefined;
  const checkIdle = (): void => {
    if (onIdle !== undefined && requests.size === 0 && upgrades.size === 0) onIdle();
  };
  const requests = createInFlightRequests(meter, checkIdle);
  const http1 = createHttp1Requests(requests);
  const upgrades = createUpgradedConnections(meter, checkIdle);
  const drainController = new AbortController();
  // Every upgraded connection may listen; the default limit of 10 would warn.
  setMaxListeners(0, drainController.signal);

  // Each connection's place in `sockets`. Not a property on the socket: a property added to
  // every socket gives sockets a second hidden class, and node:http's own stream code, which
  // sees both, turns polymorphic (about 100 instructions per request, counted by callgrind).
  // Weak: an entry goes with its socket, with no delete per connection.
  const entryOf = new WeakMap<Duplex, InFlightEntry<Socket>>();
  const forgetSocket = function (this: Socket): void {
    unlistSocket(this);
    http1.socketClosed(this);
  };
  const addSocket = (socket: Socket): void => {
    entryOf.set(socket, sockets.add(socket));
    socket.once('close', forgetSocket);
  };
  const unlistSocket = (socket: Duplex): void => {
    const entry = entryOf.get(socket);
    if (entry !== undefined) sockets.remove(entry);
  };

  // A connection counts as traffic through its requests (HTTP/1) or its session (HTTP/2), not at
  // accept: the kubelet opens a connection per probe, and a probe is not a caller. A connection
  // accepted while draining (its TLS handshake may end after the listener closed) is kept: its
  // request is served with `Connection: close`.
  const onSocket = (socket: Socket): void => addSocket(socket);
  const arrivedAtMs = (userAgent: string | undefined): number =>
    isProbe(userAgent) ? now() : meter.recordArrival();

  // Until lame duck, HTTP/1 requests of node:http and node:https servers are only counted: the
  // drain needs each one only once it may have to wait for it, and tracking it from arrival to
  // response costs more than the rest of the drain together. Not HTTP/2 servers: an HTTP/1
  // request there (allowHTTP1) comes on a TLS socket the 'connection' event never showed.
  let countingOnly = !isHttp2;
  let settleTimer: NodeJS.Timeout | undefined;
  const startTracking = (): void => {
    if (!countingOnly) return;
    countingOnly = false;
    clearInterval(settleTimer);
    meter.settle();
    http1.adopt(sockets, now());
  };
  const traffic: TrafficSnapshot = {
    get inFlight() {
      if (!countingOnly) return meter.inFlight;
      let answering = 0;
      for (const socket of sockets) if (http1.isAnsweringUntracked(socket)) answering++;
      return meter.inFlight + answering;
    },
    get lastArrivalAtMs() {
      return meter.lastArrivalAtMs;
    },
    get totalArrivals() {
      return meter.totalArrivals;
    },
    arrivalsPerSecond: () => meter.arrivalsPerSecond(),
  };

  // Every HTTP/1 request, whichever event brings it. False when nobody can answer it (a response
  // ahead of it on its connection committed `Connection: close`): not for the application.
  const onRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    // Counting only is for node:http and node:https servers, whose requests are all HTTP/1: the
    // HTTP/2 check below is not needed on that path.
    if (countingOnly) {
      if (!isProbe(rawHeader(req.rawHeaders, 'user-agent'))) meter.countArrival();
      return http1.isAnswerable(req, res);
    }
    if (req.httpVersionMajor >= 2) return true; // counted as a stream
    const socket = req.socket;
    if (entryOf.get(socket)?.value === undefined) addSocket(socket);
    return http1.track(req, res, arrivedAtMs(rawHeader(req.rawHeaders, 'user-agent')));
  };
  // `Expect` requests go to their own listeners instead of 'request'.
  const onExpectation = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex): void => {
    unlistSocket(socket);
    upgrades.track(req, socket, arrivedAtMs(rawHeader(req.rawHeaders, 'user-agent')));
  };

  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const request: InFlightRequest = {
      method: String(headers[':method'] ?? 'GET'),
      target: String(headers[':path'] ?? '/'),
      startedAtMs: arrivedAtMs(headers['user-agent']),
    };
    const entry = requests.add(request);
    sessions.trackStream(stream);
    stream.once('close', () => requests.finish(entry));
  };
  const onSession = (session: Http2Session): void => {
    meter.recordArrival();
    sessions.track(session);
  };

  // HTTP/2 sockets too: a session closed gracefully keeps its socket until the peer closes.
  const socketEvent = server instanceof HttpsServer ? 'secureConnection' : 'connection';
  server.prependListener(socketEvent, onSocket);
  if (isHttp2) server.prependListener('session', onSession);
  const putListenersBack = [
    ...(isHttp2 ? [runFirst(server, 'stream', 4, onStream)] : []),
    ...(watchRequests ? [runFirst(server, 'request', 2, onRequest)] : []),
  ];
  const stopListeningAlongside = listenAlongside(server, {
    checkContinue: onExpectation,
    checkExpectation: onExpectation,
    upgrade: onUpgrade,
  });

  const detach = (): void => {
    server.off(socketEvent, onSocket);
    server.off('session', onSession);
    stopListeningAlongside();
    for (const putBack of putListenersBack) putBack();
  };

  const destroyConnections = (): number => {
    const count = sockets.size;
    for (const socket of sockets) socket.destroy();
    upgrades.destroy();
    sessions.destroy();
    if ('closeAllConnections' in server) server.closeAllConnections();
    return count;
  };
  // At the deadline, before destroying: Node's parser-aware check closes the idle HTTP/1
  // connections; one left with no request in flight has a request whose headers are arriving.
  const describeArriving = (): string[] => {
    if (isHttp2 || !('closeIdleConnections' in server)) return [];
    server.closeIdleConnections();
    return [...sockets]
      .filter((socket) => !socket.destroyed && !http1.isBusy(socket))
      .map(
        (socket) =>
          `request from ${socket.remoteAddress}:${socket.remotePort} still arriving (headers incomplete), connection destroyed`,
      );
  };

  return {
    name,
    traffic,
    drainSignal: drainController.signal,
    start(signal) {
      // Settles the arrivals counted while serving into the rate: see `settleIntervalMs`.
      if (countingOnly && settleTimer === undefined) {
        settleTimer = setInterval(() => meter.settle(), settleIntervalMs);
        settleTimer.unref();
      }
      return whenListening(server, name, signal);
    },
    enterLameDuck() {
      http1.setMode('close');
      startTracking();
    },
    nudge() {
      sessions.notice();
    },
    async stop(signal) {
      http1.setMode('end');
      startTracking();
      drainController.abort(
        new LameduckError(
          'unavailable',
          `http: server '${name}' is draining; close upgraded connections`,
        ),
      );
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      // Node's own idle check reads the parser's state: a socket whose request is still arriving
      // is not idle, and is served. Busy sockets are ended after their last response.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      sessions.close();
      const idle = new Promise<void>((resolve) => {
        onIdle = resolve;
        checkIdle();
      });
      const cutShort: string[] = [];
      const upgradeGraceTimer = setTimeout(() => {
        cutShort.push(...upgrades.describe(now()));
        upgrades.destroy();
      }, upgradeGraceMs);
      try {
        const waited = await waitForDrain({ idle, closed, signal, destroyConnections });
        cutShort.push(...waited.cutShort);
        if (!waited.aborted) return { forced: false, cutShort };
        const atMs = now();
        const forcedWork = [...requests.describe(atMs), ...upgrades.describe(atMs)];
        cutShort.push(...describeArriving());
        // Sockets still in a TLS handshake are not ours to wait for once the budget is spent.
        destroyConnections();
        return { forced: forcedWork.length > 0, forcedWork, cutShort };
      } catch (error) {
        throw LameduckError.from(error);
      } finally {
        clearTimeout(upgradeGraceTimer);
        detach();
      }
    },
  };
}
