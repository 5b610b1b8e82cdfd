/**
 * How long an endpoint change takes to reach a Service's proxy: the EndpointSlice controller's
 * batching, the API server's watch, and kube-proxy's next sync (at most every
 * `--iptables-min-sync-period`, 1 s). Drawn per change from a range, seeded.
 */
import { err, LameduckError, ok, type Result } from '../../errors/lameduck-error.js';
import type { Random } from './random.js';

/** A range of propagation delays, drawn uniformly. */
export interface PropagationRange {
  minMs: number;
  maxMs: number;
}

/**
 * The default: 100 ms (a watch round trip and the controller's batch) to 1,100 ms (a change
 * that just missed kube-proxy's 1 s sync).
 */
export const defaultPropagation: PropagationRange = { minMs: 100, maxMs: 1100 };

/** Reads `--propagation-ms`: `MS` (always that long) or `MIN-MAX`, whole milliseconds. */
export function parsePropagation(text: string): Result<PropagationRange> {
  const match = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(text.trim());
  if (match === null) {
    return err(
      new LameduckError('invalid_config', `--propagation-ms must be MS or MIN-MAX, got '${text}'`),
    );
  }
  const minMs = Number(match[1]);
  const maxMs = match[2] === undefined ? minMs : Number(match[2]);
  if (maxMs < minMs) {
    return err(
      new LameduckError('invalid_config', `--propagation-ms: ${maxMs} is less than ${minMs}`),
    );
  }
  return ok({ minMs, maxMs });
}

/** One delay drawn from `range`. */
export function drawPropagationMs(range: PropagationRange, random: Random): number {
  return Math.round(range.minMs + (range.maxMs - range.minMs) * random());
}

/**
 * Orders deliveries: a change never overtakes the one before it (kube-proxy applies the state it
 * has at each sync, never an older one), so each delivery is at or after the previous.
 */
export function createPropagationQueue(range: PropagationRange, random: Random) {
  let lastDeliveryAtMs = Number.NEGATIVE_INFINITY;
  return {
    /** When a change made at `changedAtMs` reaches the proxy. */
    deliveryAtMs(changedAtMs: number): number {
      lastDeliveryAtMs = Math.max(lastDeliveryAtMs, changedAtMs + drawPropagationMs(range, random));
      return lastDeliveryAtMs;
    },
  };
}
