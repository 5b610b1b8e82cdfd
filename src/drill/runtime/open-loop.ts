/**
 * The schedule and bookkeeping of a steady open-loop load, whatever the protocol: requests leave
 * on a fixed schedule whatever the latency (as a Service's callers send them), and every answer
 * is counted per answering pid and every failure recorded with its time.
 */

import { clampTimerDelayMs } from '../../options/timer-delay.js';

/** What one request ended with; `pid` when the answer names the process that gave it. */
export type RequestOutcome =
  | { ok: true; pid?: string }
  | { ok: false; code: string; message: string; afterResponseBegan?: boolean };

/** One failed request. */
export interface LoadFailure {
  /** When it failed (`performance.now()`). */
  atMs: number;
  /** The protocol's error code (undici's code, `HTTP <status>`, a gRPC status name). */
  code: string;
  message: string;
  /**
   * gRPC: the server had sent its response headers before the call failed. gRPC commits a call
   * then, and retries it no more (a server killed between its headers and its trailers).
   */
  afterResponseBegan?: boolean;
}

/** What a load run saw. */
export interface LoadReport {
  /** Requests issued. */
  sent: number;
  /** Successful answers. */
  succeeded: number;
  /** Failures while the load ran. */
  failures: LoadFailure[];
  /** Requests still unanswered when `stop()` gave up waiting, cut off by the load itself. */
  cutOffAtStop: number;
  /** Successful answers per answering pid. */
  byPid: Map<string, number>;
}

/** A running load. */
export interface Load {
  /** Successful answers so far, per answering pid. */
  readonly byPid: ReadonlyMap<string, number>;
  /** Failures so far. */
  readonly failures: readonly LoadFailure[];
  /**
   * Stops issuing requests, waits up to `drainWaitMs` for those in flight, then cuts off the
   * rest. Idempotent: later calls return the first report.
   */
  stop(drainWaitMs?: number): Promise<LoadReport>;
}

/** How an open loop sends and cleans up. */
export interface OpenLoopOptions {
  /** Requests per second. */
  ratePerSecond: number;
  /** Sends request number `index` (from 0); never rejects. */
  send(index: number): Promise<RequestOutcome>;
  /** Cuts off requests still in flight and releases the clients; run once, at stop. */
  close(): Promise<void>;
  /** Default wait for requests in flight at stop, in milliseconds. */
  drainWaitMs: number;
  /**
   * Called as each request ends, with when it left and ended (`performance.now()`): for callers
   * that keep every request (the drill's timeline). Requests cut off at stop are not reported.
   */
  onSettled?(startedAtMs: number, endedAtMs: number, outcome: RequestOutcome): void;
}

// A tick shorter than the gap between requests keeps the schedule smooth at ~300 req/s.
const tickMs = 5;

/** Starts an open loop; it runs until `stop()` or until `signal` aborts. */
export function startOpenLoop(options: OpenLoopOptions, signal?: AbortSignal): Load {
  const { ratePerSecond, send, close } = options;
  const report: LoadReport = {
    sent: 0,
    succeeded: 0,
    failures: [],
    cutOffAtStop: 0,
    byPid: new Map(),
  };
  const pending = new Set<Promise<void>>();
  const startedAtMs = performance.now();
  let closing = false;

  const { onSettled } = options;
  const issue = (): void => {
    const requestStartedAtMs = performance.now();
    const request = send(report.sent++).then((outcome) => {
      // Requests we cut off ourselves at stop are not the server's failures.
      if (closing && !outcome.ok) {
        report.cutOffAtStop++;
        return;
      }
      onSettled?.(requestStartedAtMs, performance.now(), outcome);
      if (outcome.ok) {
        if (outcome.pid !== undefined) {
          report.byPid.set(outcome.pid, (report.byPid.get(outcome.pid) ?? 0) + 1);
        }
        report.succeeded++;
      } else {
        report.failures.push({
          atMs: performance.now(),
          code: outcome.code,
          message: outcome.message,
          ...(outcome.afterResponseBegan === true ? { afterResponseBegan: true } : {}),
        });
      }
    });
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };

  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAtMs) * ratePerSecond) / 1000);
    while (report.sent < due) issue();
  }, tickMs);
  const onAbort = (): void => clearInterval(timer);
  signal?.addEventListener('abort', onAbort, { once: true });

  let stopped: Promise<LoadReport> | undefined;
  return {
    byPid: report.byPid,
    failures: report.failures,
    stop(drainWaitMs = options.drainWaitMs) {
      stopped ??= (async () => {
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        let waitTimer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...pending]),
          new Promise<void>((resolve) => {
            waitTimer = setTimeout(resolve, clampTimerDelayMs(drainWaitMs));
          }),
        ]);
        clearTimeout(waitTimer);
        closing = true;
        await close().catch(() => {});
        await Promise.allSettled([...pending]);
        return report;
      })();
      return stopped;
    },
  };
}
