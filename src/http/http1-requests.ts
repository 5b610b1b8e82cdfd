import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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
  /** Switches mode; `close` and `end` apply at once to responses whose headers are not out. */
  setMode(mode: Http1Mode): void;
  /**
   * Call when `socket` closes: its requests will never be answered, and Node never closes the
   * responses queued behind the one it was writing.
   */
  socketClosed(socket: Socket): void;
  /** True while `socket` has a request in flight. */
  isBusy(socket: Socket): boolean;
}

/** A request in flight, linked to the ones before and after it on its connection. */
interface Http1Request extends InFlightRequest {
  readonly res: ServerResponse;
  readonly socket: Socket;
  older: Http1Request | undefined;
  newer: Http1Request | undefined;
}

// Both ride on Node's own objects: cheaper per request than closures or maps.
const kRequest = Symbol('lameduck.request');
const kNewest = Symbol('lameduck.newestRequest');
type TrackedResponse = ServerResponse & { [kRequest]?: Http1Request };
type TrackedSocket = Socket & { [kNewest]?: Http1Request };

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

  const finish = (request: Http1Request): void => {
    if (!requests.finish(request)) return;
    const { socket, older, newer } = request;
    if (older !== undefined) older.newer = newer;
    if (newer !== undefined) newer.older = older;
    else (socket as TrackedSocket)[kNewest] = older;
    // A response whose headers went out keep-alive (before lame duck) left the socket open: end
    // it now; FIN follows the response.
    if (mode === 'end' && older === undefined && newer === undefined && !socket.destroyed) {
      socket.end();
    }
  };
  const onResponseClose = function (this: TrackedResponse): void {
    const request = this[kRequest];
    if (request !== undefined) finish(request);
  };

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
      (res as TrackedResponse)[kRequest] = request;
      res.on('close', onResponseClose);
      requests.add(request);
      if (mode !== 'keep-alive') res.shouldKeepAlive = false;
      return true;
    },
    setMode(next) {
      mode = next;
      if (mode === 'keep-alive') return;
      for (const request of requests) {
        if (isHttp1Request(request) && request.newer === undefined && !request.res.headersSent) {
          request.res.shouldKeepAlive = false;
        }
      }
    },
    socketClosed(socket) {
      for (let r = (socket as TrackedSocket)[kNewest]; r !== undefined; r = r.older) finish(r);
    },
    isBusy(socket) {
      return (socket as TrackedSocket)[kNewest] !== undefined;
    },
  };
}
