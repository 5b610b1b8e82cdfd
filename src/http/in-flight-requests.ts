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

/** Makes an empty {@link InFlightRequests}; `onFinished` runs after each request finishes. */
export function createInFlightRequests(
  traffic: TrafficMeter,
  onFinished: () => void,
): InFlightRequests {
  const requests = new InFlightList<InFlightRequest>();
  return {
    get size() {
      return requests.size;
    },
    add(request) {
      traffic.requestStarted();
      return requests.add(request);
    },
    finish(entry) {
      if (!requests.remove(entry)) return false;
      traffic.requestFinished();
      onFinished();
      return true;
    },
    describe(atMs) {
      return [...requests].map(
        (r) =>
          `${r.method} ${requestPath(r.target)} in flight for ${r.startedBeforeTracking === true ? 'at least ' : ''}${Math.round(atMs - r.startedAtMs)} ms`,
      );
    },
    [Symbol.iterator]() {
      return requests[Symbol.iterator]();
    },
  };
}
