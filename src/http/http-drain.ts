import type {
  Server as HttpServer,
  IncomingHttpHeaders,
  IncomingMessage,
  ServerResponse,
} from 'node:http';
import {
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  constants as h2,
  type ServerHttp2Stream,
} from 'node:http2';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createTrafficMeter, type TrafficMeter } from '../drain/traffic-meter.js';
import { LameduckError } from '../errors/lameduck-error.js';
import type {
  LameDuckAware,
  Nudger,
  Participant,
  StopOutcome,
  TrafficSource,
} from '../lifecycle/participant.js';

/** Any server `drainHttpServer` accepts: node:http, node:https, node:http2 (h2c and secure). */
export type DrainableServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer;

/** Options of {@link drainHttpServer}. */
export interface HttpDrainOptions {
  /** Names the participant in logs and metrics. Default: `'http'`. */
  name: string;
  /**
   * Tells probe requests apart: they are served but do not count as traffic, or a readiness
   * probe on the serving port would keep the quiet-period detector from ever seeing quiet.
   * Default: a `User-Agent` starting with `kube-probe/`.
   */
  isProbe: (headers: IncomingHttpHeaders) => boolean;
  /** Monotonic clock for the traffic meter. Default: `performance.now`. */
  now: () => number;
}

/** Defaults of {@link HttpDrainOptions}. */
export const httpDrainDefaults: HttpDrainOptions = {
  name: 'http',
  isProbe: (headers) => headers['user-agent']?.startsWith('kube-probe/') ?? false,
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
}

// A GOAWAY with the largest stream id says "open no new streams" while accepting the ones already
// on the wire (RFC 9113 section 6.8); the final GOAWAY follows when the drain closes the session.
const shutdownNoticeStreamId = 2 ** 31 - 1;

/**
 * Makes an HTTP server a lifecycle participant that leaves without failing a request.
 *
 * - Serving: counts arrivals (requests and connections) and requests in flight.
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
  const { name, isProbe, now } = { ...httpDrainDefaults, ...options };
  const traffic = createTrafficMeter({ now });
  const isHttp2 = !('closeIdleConnections' in server);
  // Compat 'request' listeners on an HTTP/2 server turn on the compat layer: add ours only if the
  // application already uses it (HTTP/1 requests with allowHTTP1 arrive there too).
  const watchRequests = !isHttp2 || server.listenerCount('request') > 0;
  const inFlight = new Set<InFlight>();
  const busyBySocket = new Map<Socket, number>();
  const sessions = new Set<Http2Session>();
  let state: State = 'serving';
  let pendingHeaders = new Set<ServerResponse>();

  const endIdleSocket = (socket: Socket): void => {
    // end() sends FIN after what is already written; destroy() could reset a socket holding a
    // request we have not read yet.
    if (!socket.destroyed) socket.end();
  };
  const addSocket = (socket: Socket): void => {
    if (busyBySocket.has(socket)) return;
    busyBySocket.set(socket, 0);
    socket.once('close', () => busyBySocket.delete(socket));
    if (state === 'draining') endIdleSocket(socket);
  };

  const onConnection = (): void => traffic.recordArrival();
  const onH1Socket = (socket: Socket): void => addSocket(socket);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor >= 2) return; // counted as a stream
    if (!isProbe(req.headers)) traffic.recordArrival();
    const socket = req.socket;
    addSocket(socket);
    busyBySocket.set(socket, (busyBySocket.get(socket) ?? 0) + 1);
    const record = { method: req.method ?? 'GET', path: req.url ?? '/', startedAtMs: now() };
    inFlight.add(record);
    const untrack = traffic.track();
    if (state === 'serving') pendingHeaders.add(res);
    else res.setHeader('connection', 'close');
    res.once('close', () => {
      pendingHeaders.delete(res);
      inFlight.delete(record);
      const busy = (busyBySocket.get(socket) ?? 1) - 1;
      if (busyBySocket.has(socket)) busyBySocket.set(socket, busy);
      // A response whose headers went out before lame duck kept the socket alive: end it now.
      if (state === 'draining' && busy === 0) endIdleSocket(socket);
      untrack();
    });
  };

  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (!isProbe(headers)) traffic.recordArrival();
    const record = {
      method: String(headers[':method'] ?? 'GET'),
      path: String(headers[':path'] ?? '/'),
      startedAtMs: now(),
    };
    inFlight.add(record);
    const untrack = traffic.track();
    stream.once('close', () => {
      inFlight.delete(record);
      untrack();
    });
  };

  const noticeSession = (session: Http2Session): void => {
    if (!session.closed && !session.destroyed)
      session.goaway(h2.NGHTTP2_NO_ERROR, shutdownNoticeStreamId);
  };
  const onSession = (session: Http2Session): void => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (state === 'nudged') noticeSession(session);
    else if (state === 'draining') session.close();
  };

  const h1SocketEvent = server instanceof HttpsServer ? 'secureConnection' : 'connection';
  server.prependListener('connection', onConnection);
  if (isHttp2) {
    server.prependListener('session', onSession);
    server.prependListener('stream', onStream);
  } else {
    server.prependListener(h1SocketEvent, onH1Socket);
  }
  if (watchRequests) server.prependListener('request', onRequest);

  const detach = (): void => {
    server.off('connection', onConnection);
    server.off(h1SocketEvent, onH1Socket);
    server.off('session', onSession);
    server.off('stream', onStream);
    server.off('request', onRequest);
  };

  const force = (): StopOutcome => {
    const atMs = now();
    const forcedWork = [...inFlight].map(
      (r) => `${r.method} ${r.path} in flight for ${Math.round(atMs - r.startedAtMs)} ms`,
    );
    for (const socket of busyBySocket.keys()) socket.destroy();
    for (const session of sessions) session.destroy();
    if ('closeAllConnections' in server) server.closeAllConnections();
    return { forced: forcedWork.length > 0, forcedWork };
  };

  return {
    name,
    traffic,
    start(signal) {
      if (server.listening) return;
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          server.off('listening', onListening);
          reject(signal.reason);
        };
        const onListening = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        server.once('listening', onListening);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    enterLameDuck() {
      state = 'lame-duck';
      for (const res of pendingHeaders) {
        if (!res.headersSent) res.setHeader('connection', 'close');
      }
      pendingHeaders = new Set();
    },
    nudge() {
      state = 'nudged';
      for (const session of sessions) noticeSession(session);
    },
    async stop(signal) {
      state = 'draining';
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      for (const [socket, busy] of busyBySocket) if (busy === 0) endIdleSocket(socket);
      for (const session of sessions) session.close();
      const aborted = new Promise<'aborted'>((resolve) => {
        if (signal.aborted) resolve('aborted');
        else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      });
      try {
        const outcome = await Promise.race([closed.then(() => 'closed' as const), aborted]);
        // Sockets still in a TLS handshake are not ours to wait for once the budget is spent.
        return outcome === 'closed' ? { forced: false } : force();
      } catch (error) {
        throw LameduckError.from(error);
      } finally {
        detach();
      }
    },
  };
}
