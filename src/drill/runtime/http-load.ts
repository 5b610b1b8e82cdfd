/**
 * A steady open-loop HTTP load (see `open-loop.ts`), spread round robin over several keep-alive
 * clients (undici pools).
 */
import { Pool } from 'undici';
import {
  type Load,
  type LoadReport,
  type OpenLoopOptions,
  type RequestOutcome,
  startOpenLoop,
} from './open-loop.js';

/** Options of {@link startHttpLoad}. */
export interface HttpLoadOptions {
  /** Where requests go, e.g. `http://127.0.0.1:1234`. */
  origin: string;
  /** Requests per second across all clients. */
  ratePerSecond: number;
  /** Separate callers, each an undici pool with its own connections. Default: 1. */
  clients: number;
  /** Keep-alive connections per client. Default: 4. */
  connectionsPerClient: number;
  /** Path requested. Default: `/`. */
  path: string;
  /** Method. Default: `GET`. */
  method: string;
  /**
   * Reads the answering pid from a response body, when it names one. Default: the second word
   * of a body `<word> <pid>` (the tests' services).
   */
  pidOf(body: string): string | undefined;
  /** See {@link OpenLoopOptions.onSettled}. */
  onSettled?: OpenLoopOptions['onSettled'];
  /** A request without response headers or body for this long fails. Default: 10000. */
  requestTimeoutMs: number;
  /** Extra undici pool options (TLS, for instance). Default: none. */
  poolOptions: Pool.Options;
}

/** Defaults of {@link HttpLoadOptions}, for the options that have one. */
export const httpLoadDefaults = {
  clients: 1,
  connectionsPerClient: 4,
  path: '/',
  method: 'GET',
  pidOf: (body: string) => body.split(' ')[1]?.trim() ?? '?',
  requestTimeoutMs: 10_000,
  poolOptions: {},
} satisfies Partial<HttpLoadOptions>;

/** What a load run saw; successful answers are 2xx and 3xx, counted per pid (`pidOf`). */
export type HttpLoadReport = LoadReport;

/** A running HTTP load; see {@link startHttpLoad}. */
export type HttpLoad = Load;

/** Starts an {@link HttpLoad}; it runs until `stop()` or until `signal` aborts. */
export function startHttpLoad(
  options: Pick<HttpLoadOptions, 'origin' | 'ratePerSecond'> & Partial<HttpLoadOptions>,
  signal?: AbortSignal,
): HttpLoad {
  const {
    origin,
    ratePerSecond,
    clients,
    connectionsPerClient,
    path,
    method,
    pidOf,
    requestTimeoutMs,
    poolOptions,
  } = { ...httpLoadDefaults, ...options };
  const pools = Array.from(
    { length: clients },
    () =>
      new Pool(origin, {
        connections: connectionsPerClient,
        pipelining: 1,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
        ...poolOptions,
      }),
  );
  return startOpenLoop(
    {
      ratePerSecond,
      drainWaitMs: requestTimeoutMs,
      ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
      send: (index) =>
        sendHttpRequest(pools[index % pools.length] as Pool, { method, path }, pidOf),
      close: async () => {
        await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
      },
    },
    signal,
  );
}

/**
 * One request on `pool`: a 2xx or 3xx answer succeeds; any other status, and any error of the
 * connection, fails with its code (`HTTP 503`, undici's `ECONNREFUSED`, `UND_ERR_SOCKET`, …).
 */
export async function sendHttpRequest(
  pool: Pool,
  request: { method: string; path: string },
  pidOf: (body: string) => string | undefined,
): Promise<RequestOutcome> {
  try {
    const res = await pool.request({ method: request.method as 'GET', path: request.path });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 400) {
      return { ok: false, code: `HTTP ${res.statusCode}`, message: text.slice(0, 200) };
    }
    const pid = pidOf(text);
    return pid === undefined ? { ok: true } : { ok: true, pid };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    return {
      ok: false,
      code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : String(error),
    };
  }
}
