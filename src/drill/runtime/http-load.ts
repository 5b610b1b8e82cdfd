/**
 * A steady open-loop HTTP load, as a Service's callers send it: requests leave on a fixed
 * schedule whatever the latency, spread round robin over several keep-alive clients (undici
 * pools), and every failure is recorded with its time.
 */
import { Pool } from 'undici';

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

/** One failed request. */
export interface LoadFailure {
  /** When it failed (`performance.now()`). */
  atMs: number;
  /** undici's error code, or `HTTP <status>` for a non-200 answer. */
  code: string;
  message: string;
}

/** What a load run saw. */
export interface HttpLoadReport {
  /** Requests issued. */
  sent: number;
  /** 200 answers. */
  succeeded: number;
  /** Errors and non-200 answers while the load ran. */
  failures: LoadFailure[];
  /** Requests still unanswered when `stop()` gave up waiting, destroyed by the load itself. */
  cutOffAtStop: number;
  /** 200 answers per answering pid (the body is `<word> <pid>`). */
  byPid: Map<string, number>;
}

/** A running load; see {@link startHttpLoad}. */
export interface HttpLoad {
  /** 200 answers so far, per answering pid. */
  readonly byPid: ReadonlyMap<string, number>;
  /**
   * Stops issuing requests, waits up to `drainWaitMs` for those in flight, then destroys the
   * clients. Idempotent: later calls return the first report.
   */
  stop(drainWaitMs?: number): Promise<HttpLoadReport>;
}

// A tick shorter than the gap between requests keeps the schedule smooth at ~300 req/s.
const tickMs = 5;

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
  const report: HttpLoadReport = {
    sent: 0,
    succeeded: 0,
    failures: [],
    cutOffAtStop: 0,
    byPid: new Map(),
  };
  const pending = new Set<Promise<void>>();
  const startedAtMs = performance.now();
  let destroying = false;

  const send = (): void => {
    const pool = pools[report.sent++ % pools.length];
    if (pool === undefined) return;
    const request = pool
      .request({ method: 'GET', path })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          report.failures.push({
            atMs: performance.now(),
            code: `HTTP ${res.statusCode}`,
            message: text.slice(0, 200),
          });
          return;
        }
        const pid = text.split(' ')[1]?.trim() ?? '?';
        report.byPid.set(pid, (report.byPid.get(pid) ?? 0) + 1);
        report.succeeded++;
      })
      .catch((error: unknown) => {
        // Requests we destroyed ourselves at stop are not the server's failures.
        if (destroying) {
          report.cutOffAtStop++;
          return;
        }
        const e = error as { code?: unknown; message?: unknown };
        report.failures.push({
          atMs: performance.now(),
          code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
          message: typeof e.message === 'string' ? e.message : String(error),
        });
      });
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };

  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAtMs) * ratePerSecond) / 1000);
    while (report.sent < due) send();
  }, tickMs);
  const onAbort = (): void => clearInterval(timer);
  signal?.addEventListener('abort', onAbort, { once: true });

  let stopped: Promise<HttpLoadReport> | undefined;
  return {
    byPid: report.byPid,
    stop(drainWaitMs = requestTimeoutMs) {
      stopped ??= (async () => {
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        let waitTimer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...pending]),
          new Promise<void>((resolve) => {
            waitTimer = setTimeout(resolve, drainWaitMs);
          }),
        ]);
        clearTimeout(waitTimer);
        destroying = true;
        await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
        await Promise.allSettled([...pending]);
        return report;
      })();
      return stopped;
    },
  };
}
