import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants as h2,
  type SecureClientSessionOptions,
} from 'node:http2';

/** Options of {@link startHttp2Load}. */
export interface Http2LoadOptions {
  /** Where requests go, e.g. `https://127.0.0.1:1234`. */
  origin: string;
  /** Requests per second across all sessions. */
  ratePerSecond: number;
  /** HTTP/2 sessions (connections) used round robin, as several callers of one Service would. */
  sessions: number;
  /** Path requested. Default: `/`. */
  path?: string;
  /** Passed to `http2.connect` (TLS `ca`, for instance). */
  connectOptions?: SecureClientSessionOptions;
}

/** What a load run saw. */
export interface Http2LoadReport {
  sent: number;
  succeeded: number;
  failed: number;
  /** One line per failure, stream or session: `<code or message>`. */
  errors: string[];
  /** Successful responses per answering process id. */
  byPid: Map<string, number>;
  /** Sessions that received a GOAWAY. */
  goaways: number;
  /** Streams open on a session when its first GOAWAY arrived. */
  streamsOpenAtGoaway: number;
  /** Of those, the ones that completed with 200 all the same. */
  completedAfterGoaway: number;
  /** Of those, the ones the server had not processed and refused (then sent again). */
  refusedAfterGoaway: number;
  /**
   * Streams the server refused unprocessed (REFUSED_STREAM), or that could not be sent because
   * the session had just closed, and that were sent again once. Not failures: RFC 9113 section
   * 8.7 makes them safe to retry, and a client such as grpc-js or Go's retries them.
   */
  refusedAndRetried: number;
  /** Sessions opened, including the replacements of sessions that received a GOAWAY. */
  sessionsOpened: number;
}

/** A running load; `stop()` ends it, waits for every stream and closes every session. */
export interface Http2Load {
  /** Successful responses so far per pid. */
  readonly byPid: Map<string, number>;
  stop(): Promise<Http2LoadReport>;
}

/**
 * A steady open-loop HTTP/2 load on node:http2, which follows RFC 9113 section 6.8: after a
 * GOAWAY the session accepts no new stream but lets the open ones finish. A session that received
 * one is retired and replaced (through the proxy, so on whatever endpoint it picks now), as
 * grpc-js does. A stream refused unprocessed is sent again once (see `refusedAndRetried`); any
 * other stream error or reset, and any session error, is a failure.
 */
export function startHttp2Load(options: Http2LoadOptions): Http2Load {
  const report: Http2LoadReport = {
    sent: 0,
    succeeded: 0,
    failed: 0,
    errors: [],
    byPid: new Map(),
    goaways: 0,
    streamsOpenAtGoaway: 0,
    completedAfterGoaway: 0,
    refusedAfterGoaway: 0,
    refusedAndRetried: 0,
    sessionsOpened: 0,
  };
  // Streams open per session, each with a flag saying whether the session's GOAWAY found it open.
  const openStreams = new Map<ClientHttp2Session, Set<{ atGoaway: boolean }>>();
  const slots: Array<ClientHttp2Session | undefined> = Array.from({ length: options.sessions });
  const everySession = new Set<ClientHttp2Session>();
  const pending = new Set<Promise<void>>();
  const fail = (what: string): void => {
    report.errors.push(what);
  };

  const open = (slot: number): ClientHttp2Session => {
    const session = connect(options.origin, options.connectOptions);
    report.sessionsOpened++;
    everySession.add(session);
    const streams = new Set<{ atGoaway: boolean }>();
    openStreams.set(session, streams);
    session.on('error', (error: NodeJS.ErrnoException) =>
      fail(`session ${error.code ?? ''} ${error.message}`.trim()),
    );
    // The graceful shutdown sends two: the notice (last stream id 2^31-1), then the final one.
    session.once('goaway', () => {
      report.goaways++;
      report.streamsOpenAtGoaway += streams.size;
      for (const stream of streams) stream.atGoaway = true;
      if (slots[slot] === session) slots[slot] = undefined;
    });
    session.once('close', () => {
      if (slots[slot] === session) slots[slot] = undefined;
    });
    slots[slot] = session;
    return session;
  };

  // One try on one session. 'refused' means the server did not process the stream (REFUSED_STREAM,
  // RFC 9113 section 8.7) or it never left (the session had closed): safe to send again.
  const attempt = (slot: number): Promise<'ok' | 'refused' | 'failed'> =>
    new Promise((resolve) => {
      const current = slots[slot];
      const session =
        current === undefined || current.closed || current.destroyed ? open(slot) : current;
      const streams = openStreams.get(session);
      const record = { atGoaway: false };
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({ ':path': options.path ?? '/' });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION') {
          resolve('refused');
        } else {
          fail(`${code ?? ''} ${(error as Error).message}`.trim());
          resolve('failed');
        }
        return;
      }
      streams?.add(record);
      let status = 0;
      let body = '';
      let streamError: NodeJS.ErrnoException | undefined;
      stream.setEncoding('utf8');
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.on('data', (chunk: string) => {
        body += chunk;
      });
      stream.on('error', (error: NodeJS.ErrnoException) => {
        streamError = error;
      });
      stream.on('close', () => {
        streams?.delete(record);
        if (stream.rstCode === h2.NGHTTP2_REFUSED_STREAM) {
          if (record.atGoaway) report.refusedAfterGoaway++;
          resolve('refused');
        } else if (streamError !== undefined || stream.rstCode !== h2.NGHTTP2_NO_ERROR) {
          const why =
            streamError === undefined ? '' : `${streamError.code ?? ''} ${streamError.message}`;
          fail(`stream reset with code ${stream.rstCode} ${why}`.trim());
          resolve('failed');
        } else if (status !== 200) {
          fail(`HTTP ${status}`);
          resolve('failed');
        } else {
          const pid = body.split(' ')[1]?.trim() ?? '?';
          report.byPid.set(pid, (report.byPid.get(pid) ?? 0) + 1);
          report.succeeded++;
          if (record.atGoaway) report.completedAfterGoaway++;
          resolve('ok');
        }
      });
    });

  let next = 0;
  const send = (): void => {
    const slot = next++ % slots.length;
    report.sent++;
    const sent = attempt(slot).then(async (outcome) => {
      if (outcome !== 'refused') return outcome;
      // Once, on whatever session the slot has by now, as grpc-js and Go's transport do.
      report.refusedAndRetried++;
      const retried = await attempt(slot);
      if (retried === 'refused') fail('refused twice');
      return retried;
    });
    const counted = sent.then((outcome) => {
      if (outcome !== 'ok') report.failed++;
    });
    pending.add(counted);
    void counted.finally(() => pending.delete(counted));
  };
  const tickMs = 10;
  const startedAtMs = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAtMs) * options.ratePerSecond) / 1000);
    while (report.sent < due) send();
  }, tickMs);

  let stopped: Promise<Http2LoadReport> | undefined;
  return {
    byPid: report.byPid,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.all(pending);
        await Promise.all(
          [...everySession].map((session) =>
            session.destroyed
              ? undefined
              : new Promise<void>((resolve) => {
                  session.once('close', () => resolve());
                  session.close();
                }),
          ),
        );
        return report;
      })();
      return stopped;
    },
  };
}
