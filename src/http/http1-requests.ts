import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { InFlightEntry } from '../drain/in-flight-list.js';
import type { InFlightRequest, InFlightRequests } from './in-flight-requests.js';

/**
 * What the HTTP/1 side does with keep-alive connections:
 * - `keep-alive`: leaves Node's choice alone (serving);
 * - `close`: the last response of each connection says `Connection: close` (lame duck);
 * - `end`: the same, and a connection is ended as soon as its last response is out (draining).
 */
export type Http1Mode = 'keep-alive' | 'close' | 'end';

/** The HTTP/1 requests in flight of one server, per connection and in pipeline order. */
export interface Http1Requests {
  /**
   * Counts a request read from `req.socket` as in flight until its response closes or its
   * connection does, unless nobody can answer it: a response ahead of it on the connection has
   * committed `Connection: close` (Node ends the socket after that one and drops what is queued
   * behind it), or the socket no longer writes. Then it returns false: the caller must not hand
   * the request to the application. RFC 9112 section 9.6: a server that sent `close` must not
   * process further requests; section 9.3.2: a client retries pipelined requests left unanswered.
   */
  track(req: IncomingMessage, res: ServerResponse, startedAtMs: number): boolean;
  /**
   * For a request that is only counted, not tracked: false when nobody can answer it, as in
   * `track`, as far as Node's own state tells (the socket no longer writes, or the response
   * being written ahead of it committed `Connection: close`).
   */
  isAnswerable(req: IncomingMessage, res: ServerResponse): boolean;
  /** Switches mode; `close` and `end` apply at once to responses whose headers are not out. */
  setMode(mode: Http1Mode): void;
  /**
   * Call when `socket` closes: its requests will never be answered, and Node never closes the
   * responses queued behind the one it was writing.
   */
  socketClosed(socket: Socket): void;
  /** True while `socket` has a request in flight. */
  isBusy(socket: Socket): boolean;
  /**
   * Starts tracking the requests that `sockets` were answering before tracking began, when the
   * server was only counting arrivals (see `drainHttpServer`): the one each connection is
   * answering now, then those pipelined behind it, each as its response comes up. `atMs` is when
   * tracking began: they are known to be in flight since then.
   */
  adopt(sockets: Iterable<Socket>, atMs: number): void;
  /** True when `socket` is answering a request that is not tracked. */
  isAnsweringUntracked(socket: Socket): boolean;
}

/** A request in flight, linked to the ones before and after it on its connection. */
interface Http1Request extends InFlightRequest {
  readonly res: ServerResponse;
  readonly socket: Socket;
  older: Http1Request | undefined;
  newer: Http1Request | undefined;
  /** Its place among the requests in flight, once tracked. */
  entry?: InFlightEntry<InFlightRequest>;
  /** Adopted while the parser had read requests after it: not the last one on its connection. */
  readonly queuedBehind?: boolean;
}

// Both ride on Node's own objects: cheaper per request than closures or maps.
const kRequest = Symbol('lameduck.request');
const kNewest = Symbol('lameduck.newestRequest');
// While only counting: the newest response queued behind another on the connection (pipelined).
// Out of reach in Node's queue until its turn comes, and the one to say `Connection: close`
// should lame duck begin before then.
const kNewestQueued = Symbol('lameduck.newestQueuedResponse');
type TrackedResponse = ServerResponse & { [kRequest]?: Http1Request };
type TrackedSocket = Socket & {
  [kNewest]?: Http1Request;
  [kNewestQueued]?: ServerResponse;
} & NodeHttp1Socket;

// node:http's own per-connection state (lib/_http_server.js, lib/_http_common.js), read only when
// tracking starts and as adopted responses end: the response being written (the oldest one
// unanswered; those pipelined behind it wait in a queue of Node's own), and the parser's newest
// request. http-terminator reads `_httpMessage` too.
interface NodeHttp1Socket {
  _httpMessage?: ServerResponse | null;
  parser?: { incoming?: IncomingMessage | null } | null;
}

// Node's own flag, set when the headers are committed: the socket ends after this response
// (`resOnFinish` in lib/_http_server.js), whether `Connection: close` came from Node (the client
// asked for it, or `shouldKeepAlive` was false) or from the application's own header.
function closesConnection(res: ServerResponse): boolean {
  return (res as ServerResponse & { _last?: boolean })._last === true;
}

function isHttp1Request(request: InFlightRequest): request is Http1Request {
  return (request as Partial<Http1Request>).res !== undefined;
}

/**
 * Makes the HTTP/1 side of a drain. Node reads pipelined requests ahead and queues their
 * responses; a response committed with `Connection: close` ends the connection after it, and
 * the requests queued behind it are dropped without their responses ever closing. So only the
 * newest request read on a connection gets `Connection: close`: when another arrives before the
 * previous response's headers are out, the previous one goes back to keep-alive.
 */
export function createHttp1Requests(requests: InFlightRequests): Http1Requests {
  let mode: Http1Mode = 'keep-alive';
  // When tracking began: what adopted requests are known to have been in flight since.
  let adoptedSinceMs = 0;

  const finish = (request: Http1Request): void => {
    if (request.entry === undefined || !requests.finish(request.entry)) return;
    const { older, newer } = request;
    const socket = request.socket as TrackedSocket;
    if (older !== undefined) older.newer = newer;
    if (newer !== undefined) newer.older = older;
    else socket[kNewest] = older;
    // A finished request lets go of its neighbours: see in-flight-list.ts for why.
    request.older = undefined;
    request.newer = undefined;
    if (socket.destroyed) return;
    // Node put the next queued response on the socket before this one's 'close': one read
    // before tracking started is adopted as it comes up.
    const next = socket._httpMessage;
    if (request.startedBeforeTracking === true && next != null) adoptResponse(socket, next);
    // A response whose headers went out keep-alive (before lame duck) left the socket open: end
    // it now; FIN follows the response.
    else if (mode === 'end' && older === undefined && newer === undefined) socket.end();
  };
  const onResponseClose = function (this: TrackedResponse): void {
    const request = this[kRequest];
    if (request !== undefined) finish(request);
  };
  const startTracking = (request: Http1Request): void => {
    (request.res as TrackedResponse)[kRequest] = request;
    request.res.on('close', onResponseClose);
    request.entry = requests.add(request);
  };
  // Tracks `res`, a response of `socket` read before tracking started, as the oldest request of
  // the connection: every tracked one was read after it.
  const adoptResponse = (socket: TrackedSocket, res: ServerResponse): void => {
    if ((res as TrackedResponse)[kRequest] !== undefined || res.writableFinished) return;
    let oldest = socket[kNewest];
    while (oldest?.older !== undefined) oldest = oldest.older;
    const request: Http1Request = {
      method: res.req.method ?? 'GET',
      target: res.req.url ?? '/',
      startedAtMs: adoptedSinceMs,
      startedBeforeTracking: true,
      res,
      socket,
      older: undefined,
      newer: oldest,
      queuedBehind: socket.parser?.incoming !== res.req,
    };
    if (oldest === undefined) socket[kNewest] = request;
    else oldest.older = request;
    startTracking(request);
    if (mode !== 'keep-alive' && isLastRead(request) && !res.headersSent) {
      res.shouldKeepAlive = false;
    }
  };
  const isLastRead = (request: Http1Request): boolean =>
    request.newer === undefined && request.queuedBehind !== true;

  return {
    track(req, res, startedAtMs) {
      const socket = req.socket as TrackedSocket;
      const newest = socket[kNewest];
      if (socket.writableEnded || (newest !== undefined && closesConnection(newest.res))) {
        return false;
      }
      const request: Http1Request = {
        method: req.method ?? 'GET',
        target: req.url ?? '/',
        startedAtMs,
        res,
        socket,
        older: newest,
        newer: undefined,
      };
      if (newest !== undefined) {
        newest.newer = request;
        // No longer the last on its connection: it keeps the connection open for this one.
        // (llhttp reads nothing after a request that did not ask for keep-alive.)
        if (mode !== 'keep-alive') newest.res.shouldKeepAlive = true;
      }
      socket[kNewest] = request;
      startTracking(request);
      if (mode !== 'keep-alive') res.shouldKeepAlive = false;
      return true;
    },
    isAnswerable(req, res) {
      const socket = req.socket as TrackedSocket;
      if (socket.writableEnded) return false;
      // A response queued behind another has no socket yet.
      if (res.socket !== null) return true;
      const ahead = socket._httpMessage;
      if (ahead != null && closesConnection(ahead)) return false;
      socket[kNewestQueued] = res;
      return true;
    },
    setMode(next) {
      mode = next;
      if (mode === 'keep-alive') return;
      for (const request of requests) {
        if (isHttp1Request(request) && isLastRead(request) && !request.res.headersSent) {
          request.res.shouldKeepAlive = false;
        }
      }
    },
    socketClosed(socket) {
      let request = (socket as TrackedSocket)[kNewest];
      while (request !== undefined) {
        // Read first: finishing a request unlinks it.
        const older = request.older;
        finish(request);
        request = older;
      }
    },
    isBusy(socket) {
      return (socket as TrackedSocket)[kNewest] !== undefined;
    },
    adopt(sockets, atMs) {
      adoptedSinceMs = atMs;
      for (const socket of sockets as Iterable<TrackedSocket>) {
        const answering = socket._httpMessage;
        const newestQueued = socket[kNewestQueued];
        socket[kNewestQueued] = undefined;
        if (answering == null || socket.destroyed) continue;
        // Newest first: each adopted response goes in as the oldest.
        if (newestQueued !== undefined) adoptResponse(socket, newestQueued);
        adoptResponse(socket, answering);
      }
    },
    isAnsweringUntracked(socket) {
      const res = (socket as TrackedSocket)._httpMessage;
      return (
        res != null && (res as TrackedResponse)[kRequest] === undefined && !res.writableFinished
      );
    },
  };
}
