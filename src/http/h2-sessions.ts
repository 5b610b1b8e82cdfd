import { type Http2Session, constants as h2, type ServerHttp2Stream } from 'node:http2';
import { InFlightList } from '../drain/in-flight-list.js';

// A GOAWAY with the largest stream id says "open no new streams" while accepting the ones already
// on the wire (RFC 9113 section 6.8); the final GOAWAY follows when the session is closed.
const shutdownNoticeStreamId = 2 ** 31 - 1;

/** Options of {@link createH2Sessions}. */
export interface H2SessionsOptions {
  /**
   * No GOAWAY to a session while a stream is open on it: at either step it is closed (final
   * GOAWAY) at once when idle, else the moment its last stream ends. For gRPC: grpc-js clients
   * with keepalive (1.14.7, and lameduck's own `etcdChannelOptions`) close a session on a GOAWAY
   * and then fail its next keepalive ping ("Ping returned false"), which they take for a dropped
   * connection: every call still open on it ends UNAVAILABLE "Connection dropped", a stream the
   * server was about to end with OK included. A call that races the final GOAWAY is refused
   * unprocessed (REFUSED_STREAM) and retried by the client.
   */
  goawayOnlyWhenIdle: boolean;
}

/**
 * The HTTP/2 sessions of one server, moved away in two steps: a GOAWAY notice when lame duck has
 * lasted long enough (`notice`), then a graceful close when draining starts (`close`). Sessions
 * that arrive later get the step already taken. Shared by the HTTP and gRPC participants.
 */
export interface H2Sessions {
  /** Starts tracking `session` (from the server's `session` event). */
  track(session: Http2Session): void;
  /** Counts `stream` as open on its session until it closes (from the server's `stream` event). */
  trackStream(stream: ServerHttp2Stream): void;
  /** Sends the GOAWAY notice to every session, now and later. */
  notice(): void;
  /** Closes every session once its streams end (final GOAWAY), now and later. */
  close(): void;
  /** Destroys every session at once. */
  destroy(): void;
}

type Step = 'none' | 'noticed' | 'closing';

// The session a stream was counted open on, until it closes.
const kOpenOn = Symbol('lameduck.openOnSession');
type TrackedStream = ServerHttp2Stream & { [kOpenOn]?: Http2Session };

/** Makes an empty {@link H2Sessions}. */
export function createH2Sessions(
  options: H2SessionsOptions = { goawayOnlyWhenIdle: false },
): H2Sessions {
  const { goawayOnlyWhenIdle } = options;
  const sessions = new InFlightList<Http2Session>();
  const openStreams = new WeakMap<Http2Session, number>();
  // Sessions opened after the notice, noticed at their first stream.
  const noticeAtFirstStream = new WeakSet<Http2Session>();
  let step: Step = 'none';

  // Node sends the notice with nghttp2_submit_goaway, not nghttp2_submit_shutdown_notice, so
  // nghttp2 counts it as a sent GOAWAY: once the session has no open stream it stops reading.
  // Streams the caller opened before it saw the notice would hang unread until the drain. Close
  // the session then: the final GOAWAY (last processed stream id) refuses them with
  // REFUSED_STREAM, which RFC 9113 section 8.7 makes safe to retry elsewhere.
  const closeSession = (session: Http2Session): void => {
    if (!session.closed && !session.destroyed) session.close();
  };
  const noticeSession = (session: Http2Session): void => {
    if (session.closed || session.destroyed) return;
    const idle = (openStreams.get(session) ?? 0) === 0;
    // A busy session is closed when its last stream ends (trackStream).
    if (goawayOnlyWhenIdle && !idle) return;
    if (!goawayOnlyWhenIdle) session.goaway(h2.NGHTTP2_NO_ERROR, shutdownNoticeStreamId);
    if (idle) closeSession(session);
  };

  // One function for every stream, the session on the stream: no closure per stream.
  const onStreamClose = function (this: TrackedStream): void {
    const session = this[kOpenOn];
    if (session === undefined) return;
    this[kOpenOn] = undefined;
    const open = (openStreams.get(session) ?? 1) - 1;
    openStreams.set(session, open);
    if (open === 0 && (step === 'noticed' || (step === 'closing' && goawayOnlyWhenIdle))) {
      closeSession(session);
    }
  };

  return {
    track(session) {
      const entry = sessions.add(session);
      session.once('close', () => sessions.remove(entry));
      // A new session noticed at once has no stream yet, so it would stop reading and close
      // before serving anything: the caller's first calls, refused twice, would fail. Its first
      // stream is served; the notice goes out with it.
      if (step === 'noticed') noticeAtFirstStream.add(session);
      else if (step === 'closing') closeSession(session);
    },
    trackStream(stream) {
      const session = stream.session;
      if (session === undefined) return;
      openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
      if (noticeAtFirstStream.delete(session)) noticeSession(session);
      (stream as TrackedStream)[kOpenOn] = session;
      stream.on('close', onStreamClose);
    },
    notice() {
      if (step !== 'none') return;
      step = 'noticed';
      for (const session of sessions) noticeSession(session);
    },
    close() {
      step = 'closing';
      for (const session of sessions) {
        if (!goawayOnlyWhenIdle || (openStreams.get(session) ?? 0) === 0) closeSession(session);
      }
    },
    destroy() {
      for (const session of sessions) session.destroy();
    },
  };
}
