import { type InFlightEntry, InFlightList } from '../drain/in-flight-list.js';
import type { TrafficMeter } from '../drain/traffic-meter.js';
import { requestPath } from './request-path.js';

/** A request a server has read and not yet answered (HTTP/1 request or HTTP/2 stream). */
export interface InFlightRequest {
  readonly method: string;
  /** The request target as received; logged through {@link requestPath}, never whole. */
  readonly target: string;
  /** When it arrived, on the drain's clock; with `startedBeforeTracking`, when tracking began. */
  readonly startedAtMs: number;
  /** Arrived while requests were only counted, before `startedAtMs`. */
  readonly startedBeforeTracking?: boolean;
}

/** The requests in flight on one server, counted in its traffic meter. */
export interface InFlightRequests {
  readonly size: number;
  /** Counts `request` as in flight; the handle is what `finish` takes. */
  add(request: InFlightRequest): InFlightEntry<InFlightRequest>;
  /** Counts the request as finished; false (and nothing counted) if it already was. */
  finish(entry: InFlightEntry<InFlightRequest>): boolean;
  /** Each request in flight, `GET /path in flight for 12 ms`. */
  describe(atMs: number): string[];
  [Symbol.iterator](): Iterator<InFlightRequest>;
}

/**
 * Makes an empty {@link InFlightRequests}; `onFinished` runs after each request finishes. A class:
 * see `createTrafficMeter` for why no object literal with a getter sits on the request path.
 */
export function createInFlightRequests(
  traffic: TrafficMeter,
  onFinished: () => void,
): InFlightRequests {
  return new CountedRequests(traffic, onFinished);
}

class CountedRequests implements InFlightRequests {
  readonly #requests = new InFlightList<InFlightRequest>();
  readonly #traffic: TrafficMeter;
  readonly #onFinished: () => void;

  constructor(traffic: TrafficMeter, onFinished: () => void) {
    this.#traffic = traffic;
    this.#onFinished = onFinished;
  }

  get size(): number {
    return this.#requests.size;
  }

  add(request: InFlightRequest): InFlightEntry<InFlightRequest> {
    this.#traffic.requestStarted();
    return this.#requests.add(request);
  }

  finish(entry: InFlightEntry<InFlightRequest>): boolean {
    if (!this.#requests.remove(entry)) return false;
    this.#traffic.requestFinished();
    this.#onFinished();
    return true;
  }

  describe(atMs: number): string[] {
    return [...this.#requests].map(
      (r) =>
        `${r.method} ${requestPath(r.target)} in flight for ${r.startedBeforeTracking === true ? 'at least ' : ''}${Math.round(atMs - r.startedAtMs)} ms`,
    );
  }

  [Symbol.iterator](): Iterator<InFlightRequest> {
    return this.#requests[Symbol.iterator]();
  }
}
