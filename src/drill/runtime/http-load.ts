/**
 * A steady open-loop HTTP load (see `open-loop.ts`), spread round robin over several keep-alive
 * clients (undici pools).
 */
import { Pool } from 'undici';
import { type Load, type LoadReport, type RequestOutcome, startOpenLoop } from './open-loop.js';

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
  requestTimeoutMs: 10_000,
  poolOptions: {},
} satisfies Partial<HttpLoadOptions>;

/** What a load run saw; successful answers are 200s, counted per pid from the body `<word> <pid>`. */
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
      send: async (index): Promise<RequestOutcome> => {
        const pool = pools[index % pools.length] as Pool;
        try {
          const res = await pool.request({ method: 'GET', path });
          const text = await res.body.text();
          if (res.statusCode !== 200) {
            return { ok: false, code: `HTTP ${res.statusCode}`, message: text.slice(0, 200) };
          }
          return { ok: true, pid: text.split(' ')[1]?.trim() ?? '?' };
        } catch (error) {
          const e = error as { code?: unknown; message?: unknown };
          return {
            ok: false,
            code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
            message: typeof e.message === 'string' ? e.message : String(error),
          };
        }
      },
      close: async () => {
        await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
      },
    },
    signal,
  );
}
