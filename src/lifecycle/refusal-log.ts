/**
 * Keeps refused `/lameduck/prestop` calls from flooding the log: a caller that retries in a loop
 * (or anyone probing the admin port) would otherwise write a warning per request, 20,000 lines a
 * second. The first refusal is reported at once, with its address; later ones are counted and
 * reported together, one event per interval, until an interval passes without any.
 */

/** What the refusal log reports; both are lifecycle events. */
export type RefusalEvent =
  | { type: 'prestop-refused'; remoteAddress: string | undefined }
  | {
      type: 'prestop-refusals-counted';
      /** Refusals since the last report. */
      refusedCount: number;
      /** Distinct addresses among them, counted up to {@link maxCountedAddresses}. */
      addressCount: number;
      /** The interval the count covers at most. */
      intervalMs: number;
    };

/** Options of {@link createRefusalLog}. */
export interface RefusalLogOptions {
  /** Receives the events. Required. */
  report: (event: RefusalEvent) => void;
  /** At most one count per interval. Default: 10000. */
  intervalMs: number;
  /**
   * Calls `fn` after `delayMs`; returns the cancel. Default: a timer that does not hold the
   * process open (`unref`), so that a flood never delays an exit.
   */
  schedule: (fn: () => void, delayMs: number) => () => void;
}

/** Defaults of {@link RefusalLogOptions}. */
export const refusalLogDefaults = {
  intervalMs: 10_000,
  schedule: (fn: () => void, delayMs: number) => {
    const timer = setTimeout(fn, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
} satisfies Partial<RefusalLogOptions>;

/** How many distinct addresses an interval remembers: a flood from many must not cost memory. */
export const maxCountedAddresses = 10_000;

/** Counts refused prestop calls; see the module's comment. */
export interface RefusalLog {
  /** Records one refusal. */
  refused(remoteAddress: string | undefined): void;
  /**
   * Reports what is counted and not yet reported, and cancels the timer. Call it once the admin
   * server is closed: later refusals are ignored, so that no timer outlives it. Idempotent.
   */
  close(): void;
}

/** Makes a {@link RefusalLog}. Schedules nothing until the first refusal. */
export function createRefusalLog(
  options: Partial<RefusalLogOptions> & Pick<RefusalLogOptions, 'report'>,
): RefusalLog {
  const { report, intervalMs, schedule } = { ...refusalLogDefaults, ...options };
  let cancel: (() => void) | undefined;
  let closed = false;
  let refusedCount = 0;
  const addresses = new Set<string | undefined>();

  const reportCount = (): boolean => {
    if (refusedCount === 0) return false;
    report({
      type: 'prestop-refusals-counted',
      refusedCount,
      addressCount: addresses.size,
      intervalMs,
    });
    refusedCount = 0;
    addresses.clear();
    return true;
  };
  // An interval with refusals opens another; a quiet one ends the counting.
  const onInterval = (): void => {
    cancel = reportCount() ? schedule(onInterval, intervalMs) : undefined;
  };

  return {
    refused(remoteAddress) {
      if (closed) return;
      if (cancel === undefined) {
        report({ type: 'prestop-refused', remoteAddress });
        cancel = schedule(onInterval, intervalMs);
        return;
      }
      refusedCount++;
      if (addresses.size < maxCountedAddresses) addresses.add(remoteAddress);
    },
    close() {
      closed = true;
      cancel?.();
      cancel = undefined;
      reportCount();
    },
  };
}
