/**
 * Counts what a server receives, for the quiet-period detector and for metrics: arrivals (new
 * requests and new connections), the time of the last one, the arrival rate over a recent window,
 * and requests in flight. Pure bookkeeping: no timers, no I/O; the clock is injected.
 */

/** Options of {@link createTrafficMeter}. */
export interface TrafficMeterOptions {
  /** Monotonic clock in milliseconds. Default: `performance.now`. */
  now: () => number;
  /** Width of one rate bucket. Default: 250. */
  bucketWidthMs: number;
  /** How far back the rate looks. Default: 10000. */
  rateWindowMs: number;
}

/** Defaults of {@link TrafficMeterOptions}. */
export const trafficMeterDefaults: TrafficMeterOptions = {
  now: () => performance.now(),
  bucketWidthMs: 250,
  rateWindowMs: 10_000,
};

/** A read-only view of a meter, which is all the lifecycle needs. */
export interface TrafficSnapshot {
  /** Requests started and not yet finished. */
  readonly inFlight: number;
  /** Clock time of the newest arrival, or `undefined` when nothing has arrived yet. */
  readonly lastArrivalAtMs: number | undefined;
  /** Arrivals ever recorded. */
  readonly totalArrivals: number;
  /** Arrivals per second over the rate window (or since the meter was made, if that is shorter). */
  arrivalsPerSecond(): number;
}

/** Counts arrivals and in-flight requests. One per server; see {@link createTrafficMeter}. */
export interface TrafficMeter extends TrafficSnapshot {
  /** Records a new request or connection; returns the clock time it was recorded at. */
  recordArrival(): number;
  /**
   * Counts a new request or connection without reading the clock: it is dated at the next
   * {@link TrafficMeter.settle}, or when the meter is next read. For the hot path while serving,
   * where the rate, not the instant, is what counts; call `settle` every bucket width or so.
   */
  countArrival(): void;
  /** Dates the arrivals counted since the last call now. */
  settle(): void;
  /** Counts a request as in flight (arrivals are recorded separately). */
  requestStarted(): void;
  /** Counts a request as finished. The caller pairs it with exactly one `requestStarted()`. */
  requestFinished(): void;
}

/** Makes a {@link TrafficMeter}. */
export function createTrafficMeter(options: Partial<TrafficMeterOptions> = {}): TrafficMeter {
  const { now, bucketWidthMs, rateWindowMs } = { ...trafficMeterDefaults, ...options };
  const bucketCount = Math.ceil(rateWindowMs / bucketWidthMs);
  const buckets = new Array<number>(bucketCount).fill(0);
  const createdAtMs = now();
  let currentBucket = Math.floor(createdAtMs / bucketWidthMs);
  let inFlight = 0;
  let totalArrivals = 0;
  let lastArrivalAtMs: number | undefined;
  let undatedArrivals = 0;

  // Clears the buckets that time has moved past since the last call.
  const advance = (atMs: number): void => {
    const bucket = Math.floor(atMs / bucketWidthMs);
    const steps = Math.min(bucket - currentBucket, bucketCount);
    for (let i = 1; i <= steps; i++) buckets[(currentBucket + i) % bucketCount] = 0;
    if (bucket > currentBucket) currentBucket = bucket;
  };

  const record = (count: number, atMs: number): void => {
    advance(atMs);
    const index = currentBucket % bucketCount;
    buckets[index] = (buckets[index] ?? 0) + count;
    totalArrivals += count;
    lastArrivalAtMs = atMs;
  };
  const settle = (): void => {
    if (undatedArrivals === 0) return;
    record(undatedArrivals, now());
    undatedArrivals = 0;
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get lastArrivalAtMs() {
      settle();
      return lastArrivalAtMs;
    },
    get totalArrivals() {
      return totalArrivals + undatedArrivals;
    },
    recordArrival() {
      const atMs = now();
      record(1, atMs);
      return atMs;
    },
    countArrival() {
      undatedArrivals++;
    },
    settle,
    requestStarted() {
      inFlight++;
    },
    requestFinished() {
      inFlight--;
    },
    arrivalsPerSecond() {
      settle();
      const atMs = now();
      advance(atMs);
      let count = 0;
      for (const n of buckets) count += n;
      // Young meters have seen less than a full window; don't dilute their rate.
      const observedMs = Math.min(rateWindowMs, Math.max(atMs - createdAtMs, bucketWidthMs));
      return (count * 1000) / observedMs;
    },
  };
}
