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
   * Counts a new request or connection without reading the clock. For the hot path while
   * serving, where the rate, not the instant, is what counts: the next
   * {@link TrafficMeter.settle}, or the next read of the meter, spreads the arrivals counted
   * since the previous one evenly over the time between the two, and dates the newest of them
   * then. Call `settle` every few seconds (well inside `rateWindowMs`) so the rate stays recent.
   */
  countArrival(): void;
  /**
   * Spreads the arrivals counted since the previous settle (or since the meter was made) over the
   * time since then, and takes now as the time of the newest.
   */
  settle(): void;
  /** Counts a request as in flight (arrivals are recorded separately). */
  requestStarted(): void;
  /** Counts a request as finished. The caller pairs it with exactly one `requestStarted()`. */
  requestFinished(): void;
}

/**
 * Makes a {@link TrafficMeter}. A class, not an object literal: V8 (Node 20) makes any object
 * literal with a getter a dictionary, where each method call is a hash lookup; on the request
 * path that was a third of lameduck's cost per HTTP request (85 of 290 instructions, counted by
 * callgrind). `test/hot-path-shapes.test.ts` keeps it so.
 */
export function createTrafficMeter(options: Partial<TrafficMeterOptions> = {}): TrafficMeter {
  return new BucketedTrafficMeter({ ...trafficMeterDefaults, ...options });
}

/** Arrivals counted in buckets of `bucketWidthMs`, a ring covering `rateWindowMs`. */
class BucketedTrafficMeter implements TrafficMeter {
  readonly #now: () => number;
  readonly #bucketWidthMs: number;
  readonly #rateWindowMs: number;
  readonly #buckets: number[];
  readonly #createdAtMs: number;
  #currentBucket: number;
  #inFlight = 0;
  #totalArrivals = 0;
  #lastArrivalAtMs: number | undefined;
  #undatedArrivals = 0;
  // Undated arrivals came after this: the previous settle, or the meter's making.
  #undatedSinceMs: number;

  constructor({ now, bucketWidthMs, rateWindowMs }: TrafficMeterOptions) {
    this.#now = now;
    this.#bucketWidthMs = bucketWidthMs;
    this.#rateWindowMs = rateWindowMs;
    this.#buckets = new Array<number>(Math.ceil(rateWindowMs / bucketWidthMs)).fill(0);
    this.#createdAtMs = now();
    this.#undatedSinceMs = this.#createdAtMs;
    this.#currentBucket = Math.floor(this.#createdAtMs / bucketWidthMs);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get lastArrivalAtMs(): number | undefined {
    this.settle();
    return this.#lastArrivalAtMs;
  }

  get totalArrivals(): number {
    return this.#totalArrivals + this.#undatedArrivals;
  }

  recordArrival(): number {
    const atMs = this.#now();
    this.#record(1, atMs, atMs);
    return atMs;
  }

  countArrival(): void {
    this.#undatedArrivals++;
  }

  settle(): void {
    this.#settleAt(this.#now());
  }

  requestStarted(): void {
    this.#inFlight++;
  }

  requestFinished(): void {
    this.#inFlight--;
  }

  arrivalsPerSecond(): number {
    const atMs = this.#now();
    this.#settleAt(atMs);
    this.#advance(atMs);
    let count = 0;
    for (const n of this.#buckets) count += n;
    // Young meters have seen less than a full window; don't dilute their rate.
    const observedMs = Math.min(
      this.#rateWindowMs,
      Math.max(atMs - this.#createdAtMs, this.#bucketWidthMs),
    );
    return (count * 1000) / observedMs;
  }

  // Clears the buckets that time has moved past since the last call.
  #advance(atMs: number): void {
    const bucket = Math.floor(atMs / this.#bucketWidthMs);
    const bucketCount = this.#buckets.length;
    const steps = Math.min(bucket - this.#currentBucket, bucketCount);
    for (let i = 1; i <= steps; i++) this.#buckets[(this.#currentBucket + i) % bucketCount] = 0;
    if (bucket > this.#currentBucket) this.#currentBucket = bucket;
  }

  #settleAt(atMs: number): void {
    const count = this.#undatedArrivals;
    const sinceMs = this.#undatedSinceMs;
    this.#undatedSinceMs = atMs;
    if (count === 0) return;
    this.#undatedArrivals = 0;
    this.#record(count, sinceMs, atMs);
  }

  // Records `count` arrivals spread evenly over (sinceMs, atMs], each bucket its share (all in the
  // current one when the span is empty); what fell before the window is gone.
  #record(count: number, sinceMs: number, atMs: number): void {
    this.#advance(atMs);
    const spanMs = atMs - sinceMs;
    if (spanMs <= 0) {
      this.#addToBucket(this.#currentBucket, count);
    } else {
      const bucketWidthMs = this.#bucketWidthMs;
      const firstBucket = Math.max(
        Math.floor(sinceMs / bucketWidthMs),
        this.#currentBucket - this.#buckets.length + 1,
      );
      for (let bucket = firstBucket; bucket <= this.#currentBucket; bucket++) {
        const overlapMs =
          Math.min(atMs, (bucket + 1) * bucketWidthMs) - Math.max(sinceMs, bucket * bucketWidthMs);
        if (overlapMs > 0) this.#addToBucket(bucket, (count * overlapMs) / spanMs);
      }
    }
    this.#totalArrivals += count;
    this.#lastArrivalAtMs = atMs;
  }

  #addToBucket(bucket: number, count: number): void {
    const index = bucket % this.#buckets.length;
    this.#buckets[index] = (this.#buckets[index] ?? 0) + count;
  }
}
