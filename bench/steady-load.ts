/**
 * A steady open-loop HTTP load over keep-alive connections: requests leave on a fixed schedule
 * whatever the latency, as a Service's callers would send them, and every failure is recorded
 * with its time.
 */
import { Pool } from 'undici';

/** Options of {@link startSteadyLoad}. */
export interface SteadyLoadOptions {
  /** Where requests go, e.g. `http://127.0.0.1:1234`. */
  origin: string;
  /** Requests per second. */
  ratePerSecond: number;
  /** Keep-alive connections of the undici pool. */
  connections: number;
  /** A request without response headers or body for this long fails. */
  requestTimeoutMs: number;
}

/** One failed request. */
export interface LoadFailure {
  /** When it failed (`performance.now()`). */
  atMs: number;
  /** undici's error code, or `HTTP <status>` for a non-200 answer. */
  code: string;
  message: string;
}

/** What a load run saw. */
export interface SteadyLoadReport {
  /** Requests issued. */
  sent: number;
  /** 200 answers. */
  succeeded: number;
  /** Errors and non-200 answers while the load ran. */
  failures: LoadFailure[];
  /** Requests still unanswered when `stop()` gave up waiting, destroyed by the load itself. */
  cutOffAtStop: number;
  /** 200 answers per answering pid (the body is `hello <pid>`). */
  answeredByPid: Record<string, number>;
}

/** A running load; see {@link startSteadyLoad}. */
export interface SteadyLoad {
  /** 200 answers so far from process `pid`. */
  answeredBy(pid: number): number;
  /**
   * Stops issuing requests, waits up to `drainWaitMs` for those in flight, then destroys the pool.
   * Idempotent: later calls return the first report.
   */
  stop(drainWaitMs: number): Promise<SteadyLoadReport>;
}

// A tick shorter than the gap between requests keeps the schedule smooth at ~300 req/s.
const tickMs = 5;

/** Starts a {@link SteadyLoad}; it runs until `stop()` or until `signal` aborts. */
export function startSteadyLoad(options: SteadyLoadOptions, signal: AbortSignal): SteadyLoad {
  const pool = new Pool(options.origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
  });
  const report: SteadyLoadReport = {
    sent: 0,
    succeeded: 0,
    failures: [],
    cutOffAtStop: 0,
    answeredByPid: {},
  };
  const pending = new Set<Promise<void>>();
  const startedAtMs = performance.now();
  let destroying = false;

  const send = (): void => {
    report.sent++;
    const request = pool
      .request({ method: 'GET', path: '/' })
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
        report.answeredByPid[pid] = (report.answeredByPid[pid] ?? 0) + 1;
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
    const due = Math.floor(((performance.now() - startedAtMs) * options.ratePerSecond) / 1000);
    while (report.sent < due) send();
  }, tickMs);
  const onAbort = (): void => clearInterval(timer);
  signal.addEventListener('abort', onAbort, { once: true });

  let stopped: Promise<SteadyLoadReport> | undefined;
  return {
    answeredBy: (pid) => report.answeredByPid[String(pid)] ?? 0,
    stop(drainWaitMs) {
      stopped ??= (async () => {
        clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
        let waitTimer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...pending]),
          new Promise<void>((resolve) => {
            waitTimer = setTimeout(resolve, drainWaitMs);
          }),
        ]);
        clearTimeout(waitTimer);
        destroying = true;
        await pool.destroy().catch(() => {});
        await Promise.allSettled([...pending]);
        return report;
      })();
      return stopped;
    },
  };
}
