import {
  Server as HttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Http2SecureServer, Http2Server, Http2Session, ServerHttp2Stream } from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createTrafficMeter, type TrafficMeter } from '../drain/traffic-meter.js';
import { LameduckError } from '../errors/lameduck-error.js';
import { assertKnownOptions } from '../lifecycle/option-check.js';
import type {
  LameDuckAware,
  Nudger,
  Participant,
  TrafficSource,
} from '../lifecycle/participant.js';
import { waitForDrain } from './drain-wait.js';
import { createH2Sessions } from './h2-sessions.js';

/** Any server `drainHttpServer` accepts: node:http, node:https, node:http2 (h2c and secure). */
export type DrainableServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer;

/** Options of {@link drainHttpServer}. */
export interface HttpDrainOptions {
  /** Names the participant in logs and metrics. Default: `'http'`. */
  name: string;
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
  isProbe: (userAgent) => userAgent?.startsWith('kube-probe/') ?? false,
  now: () => performance.now(),
};

/** The participant {@link drainHttpServer} returns. */
export type HttpDrainParticipant = Participant &
  LameDuckAware &
  Nudger &
  TrafficSource & {
    /** Arrivals and in-flight requests of this server. */
    readonly traffic: TrafficMeter;
  };

type State = 'serving' | 'lame-duck' | 'nudged' | 'draining';

interface InFlight {
  method: string;
  path: string;
  startedAtMs: number;
  /** HTTP/1 only: the socket and response, to end the socket after the response. */
  socket?: Socket;
  res?: ServerResponse;
}

type RequestListener = (this: unknown, req: IncomingMessage, res: ServerResponse) => void;

// The in-flight record rides on the response: cheaper per request than a closure or a map.
const kRecord = Symbol('lameduck.inFlight');
type TrackedResponse = ServerResponse & { [kRecord]?: InFlight };

// req.headers is built lazily by Node; finding one header in rawHeaders avoids building it.
function rawHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (
      name !== undefined &&
      name.length === lowerName.length &&
      name.toLowerCase() === lowerName
    ) {
      return rawHeaders[i + 1];
    }
  }
  return undefined;
}

/**
 * Makes an HTTP server a lifecycle participant that leaves without failing a request.
 *
 * - Serving: counts arrivals (HTTP/1 requests and HTTP/2 sessions and streams) and requests in
 *   flight.
 * - Lame duck: keeps serving every request. HTTP/1.1 responses carry `Connection: close`, so
 *   keep-alive callers reconnect, and after endpoint removal land elsewhere. Once the minimum wait
 *   has passed, HTTP/2 sessions get a GOAWAY; their open streams finish.
 * - Draining (`stop`): the listener closes; idle keep-alive sockets are ended between requests,
 *   busy ones right after their last response; HTTP/2 sessions close once their streams end. When
 *   the budget's signal aborts, what is left is destroyed and reported as forced work.
 *
 * Attach it before the server gets traffic; it adds listeners only, and `stop` removes them.
 */
export function drainHttpServer(
  server: DrainableServer,
  options: Partial<HttpDrainOptions> = {},
): HttpDrainParticipant {
  assertKnownOptions('http', options, Object.keys(httpDrainDefaults));
  const { name, isProbe, now } = { ...httpDrainDefaults, ...options };
  const traffic = createTrafficMeter({ now });
  // Not duck-typed: Node 20's Http2SecureServer has closeIdleConnections too (for allowHTTP1),
  // and https.Server does not extend http.Server.
  const isHttp2 = !(server instanceof HttpServer || server instanceof HttpsServer);
  // Compat 'request' listeners on an HTTP/2 server turn on the compat layer: add ours only if the
  // application already uses it (HTTP/1 requests with allowHTTP1 arrive there too).
  const watchRequests = !isHttp2 || server.listenerCount('request') > 0;
  const inFlight = new Set<InFlight>();
  const sockets = new Set<Socket>();
  const sessions = createH2Sessions();
  let state: State = 'serving';
  // Set by stop(): called when the last request in flight ends.
  let onIdle: (() => void) | undefined;

  const endSocketIfIdle = (socket: Socket): void => {
    for (const r of inFlight) if (r.socket === socket) return;
    // end() sends FIN after the response just written; destroy() could cut it short.
    if (!socket.destroyed) socket.end();
  };
  const forgetSocket = function (this: Socket): void {
    sockets.delete(this);
  };
  const addSocket = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', forgetSocket);
  };

  // A connection counts as traffic through its requests (HTTP/1) or its session (HTTP/2), not at
  // accept: the kubelet opens a connection per probe, and a probe is not a caller. Sockets are
  // kept only to be destroyed at the end. A connection accepted while draining (its TLS handshake
  // may end after the listener closed) is kept: its request is served with `Connection: close`.
  const onSocket = (socket: Socket): void => addSocket(socket);

  const onResponseClose = function (this: TrackedResponse): void {
    const record = this[kRecord];
    if (record === undefined || !inFlight.delete(record)) return;
    traffic.requestFinished();
    if (onIdle !== undefined && inFlight.size === 0) onIdle();
    // A response whose headers went out before lame duck kept the socket alive: end it now.
    if (state === 'draining' && record.socket !== undefined) endSocketIfIdle(record.socket);
  };
  const onRequest = (req: IncomingMessage, res: TrackedResponse): void => {
    if (req.httpVersionMajor >= 2) return; // counted as a stream
    const socket = req.socket;
    if (!sockets.has(socket)) addSocket(socket);
    const atMs = isProbe(rawHeader(req.rawHeaders, 'user-agent')) ? now() : traffic.recordArrival();
    const record: InFlight = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      startedAtMs: atMs,
      socket,
      res,
    };
    inFlight.add(record);
    traffic.requestStarted();
    res[kRecord] = record;
    res.on('close', onResponseClose);
    if (state !== 'serving') res.setHeader('connection', 'close');
  };

  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const atMs = isProbe(headers['user-agent']) ? now() : traffic.recordArrival();
    const record: InFlight = {
      method: String(headers[':method'] ?? 'GET'),
      path: String(headers[':path'] ?? '/'),
      startedAtMs: atMs,
    };
    inFlight.add(record);
    traffic.requestStarted();
    sessions.trackStream(stream);
    stream.once('close', () => {
      if (!inFlight.delete(record)) return;
      traffic.requestFinished();
      if (onIdle !== undefined && inFlight.size === 0) onIdle();
    });
  };
  const onSession = (session: Http2Session): void => {
    traffic.recordArrival();
    sessions.track(session);
  };

  // One listener that runs ours, then the application's: EventEmitter copies its listener array
  // on every emit when an event has more than one, which costs more than all our bookkeeping.
  const applicationListeners = watchRequests
    ? (server.listeners('request') as RequestListener[])
    : [];
  const combinedRequestListener = function (
    this: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    onRequest(req, res);
    for (const listener of applicationListeners) listener.call(this, req, res);
  };
  // HTTP/2 sockets too: a session closed gracefully keeps its socket until the peer closes.
  const socketEvent = server instanceof HttpsServer ? 'secureConnection' : 'connection';
  server.prependListener(socketEvent, onSocket);
  if (isHttp2) {
    server.prependListener('session', onSession);
    server.prependListener('stream', onStream);
  }
  if (watchRequests) {
    server.removeAllListeners('request');
    server.on('request', combinedRequestListener);
  }

  const detach = (): void => {
    server.off(socketEvent, onSocket);
    server.off('session', onSession);
    server.off('stream', onStream);
    if (watchRequests) {
      server.off('request', combinedRequestListener);
      for (const listener of applicationListeners) server.on('request', listener);
    }
  };

  const destroyConnections = (): number => {
    const count = sockets.size;
    for (const socket of sockets) socket.destroy();
    sessions.destroy();
    if ('closeAllConnections' in server) server.closeAllConnections();
    return count;
  };
  const describeInFlight = (): string[] => {
    const atMs = now();
    return [...inFlight].map(
      (r) => `${r.method} ${r.path} in flight for ${Math.round(atMs - r.startedAtMs)} ms`,
    );
  };

  return {
    name,
    traffic,
    start(signal) {
      if (server.listening) return;
      // Resolves when the application's listen() succeeds, rejects when it fails.
      return new Promise<void>((resolve, reject) => {
        const settle = (error?: unknown): void => {
          server.off('listening', onListening);
          server.off('error', onError);
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onListening = (): void => settle();
        const onError = (error: Error): void =>
          settle(
            new LameduckError(
              'unavailable',
              `http: server '${name}' failed to listen: ${error.message}`,
              {
                cause: error,
              },
            ),
          );
        const onAbort = (): void => settle(signal.reason);
        server.once('listening', onListening);
        server.once('error', onError);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    enterLameDuck() {
      if (state === 'serving') state = 'lame-duck';
      for (const { res } of inFlight) {
        if (res !== undefined && !res.headersSent) res.setHeader('connection', 'close');
      }
    },
    nudge() {
      state = 'nudged';
      sessions.notice();
    },
    async stop(signal) {
      state = 'draining';
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      // Node's own idle check reads the parser's state: a socket whose request is still arriving
      // is not idle, and is served. Busy sockets are ended after their response (onResponseClose).
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      sessions.close();
      const idle = new Promise<void>((resolve) => {
        if (inFlight.size === 0) resolve();
        else onIdle = resolve;
      });
      try {
        const waited = await waitForDrain({
          idle,
          closed,
          signal,
          destroyConnections,
        });
        if (!waited.aborted) return { forced: false, cutShort: waited.cutShort };
        const forcedWork = describeInFlight();
        // Sockets still in a TLS handshake are not ours to wait for once the budget is spent.
        destroyConnections();
        return { forced: forcedWork.length > 0, forcedWork, cutShort: waited.cutShort };
      } catch (error) {
        throw LameduckError.from(error);
      } finally {
        detach();
      }
    },
  };
}
