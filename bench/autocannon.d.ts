/**
 * The part of autocannon 9's programmatic API the benchmarks use. autocannon ships no types and
 * `@types/autocannon` is not a dependency; importing the CommonJS module from ESM yields
 * `module.exports` as the default export, which is what this declares.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** Options of a run (a subset). */
  export interface AutocannonOptions {
    url: string;
    /** Concurrent connections. Default: 10. */
    connections?: number;
    /** Requests in flight per connection. Default: 1. */
    pipelining?: number;
    /** Run length in seconds. Default: 10. */
    duration?: number;
    /** Requests to send, instead of a duration. */
    amount?: number;
    /** Seconds before a request counts as timed out. Default: 10. */
    timeout?: number;
  }

  /** A histogram summary as autocannon reports it (latencies in ms, integer resolution). */
  export interface AutocannonHistogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  /** The result of a run (a subset). */
  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    latency: AutocannonHistogram;
    /** Per-second samples of completed requests; `total` counts them all. */
    requests: AutocannonHistogram & { sent: number };
  }

  /** A running load: stop it early with `stop()`. */
  export interface AutocannonInstance extends EventEmitter {
    stop(): void;
  }

  /** Starts a run; `callback` gets its result. */
  export default function autocannon(
    options: AutocannonOptions,
    callback: (error: Error | null, result: AutocannonResult) => void,
  ): AutocannonInstance;
}
