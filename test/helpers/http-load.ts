import { Pool } from 'undici';

/** Options of {@link startHttpLoad}. */
export interface HttpLoadOptions {
  /** Where requests go, e.g. `http://127.0.0.1:1234`. */
  origin: string;
  /** Requests per second across all clients. */
  ratePerSecond: number;
  /** Separate clients (undici pools), each with its own connections. */
  clients: number;
  /** Connections per client. */
  connectionsPerClient: number;
  /** Path requested. Default: `/`. */
  path?: string;
  /** Extra undici Pool options (TLS, allowH2). */
  poolOptions?: Pool.Options;
}

/** What a load run saw. */
export interface HttpLoadReport {
  sent: number;
  succeeded: number;
  failed: number;
  /** One line per failure: `<code or message>`. */
  errors: string[];
  /** Successful responses per answering process id. */
  byPid: Map<string, number>;
}

/** A running load; `stop()` ends it and waits for every request in flight. */
export interface HttpLoad {
  /** Successful responses so far per pid. */
  readonly byPid: Map<string, number>;
  stop(): Promise<HttpLoadReport>;
}

/**
 * A steady open-loop load: requests are issued on a fixed schedule whatever the latency, spread
 * round robin over several keep-alive clients, as several callers of one Service would.
 */
export function startHttpLoad(options: HttpLoadOptions): HttpLoad {
  const pools = Array.from(
    { length: options.clients },
    () =>
      new Pool(options.origin, {
        connections: options.connectionsPerClient,
        ...options.poolOptions,
      }),
  );
  const report: HttpLoadReport = { sent: 0, succeeded: 0, failed: 0, errors: [], byPid: new Map() };
  const pending = new Set<Promise<void>>();
  const tickMs = 10;
  const startedAtMs = performance.now();
  let next = 0;
  const send = (): void => {
    const pool = pools[next++ % pools.length];
    if (pool === undefined) return;
    report.sent++;
    const request = pool
      .request({ method: 'GET', path: options.path ?? '/' })
      .then(async (res) => {
        const body = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        const pid = body.split(' ')[1]?.trim() ?? '?';
        report.byPid.set(pid, (report.byPid.get(pid) ?? 0) + 1);
        report.succeeded++;
      })
      .catch((error: unknown) => {
        report.failed++;
        const e = error as { code?: string; message?: string };
        report.errors.push(`${e.code ?? ''} ${e.message ?? String(error)}`.trim());
      });
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAtMs) * options.ratePerSecond) / 1000);
    while (report.sent < due) send();
  }, tickMs);
  let stopped: Promise<HttpLoadReport> | undefined;
  return {
    byPid: report.byPid,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.all(pending);
        await Promise.all(pools.map((p) => p.close()));
        return report;
      })();
      return stopped;
    },
  };
}
