import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TrafficMeter } from '../drain/traffic-meter.js';
import { requestPath } from './request-path.js';

/**
 * The connections of one server that left HTTP through an `Upgrade` (WebSocket and the like).
 * Each counts as in flight until its socket closes: the drain waits for them as for requests.
 */
export interface UpgradedConnections {
  /** Connections still open. */
  readonly size: number;
  /** Counts `socket`, upgraded by `req`, until it closes (from the server's `upgrade` event). */
  track(req: IncomingMessage, socket: Duplex, startedAtMs: number): void;
  /** Each connection still open: `GET /chat (upgraded to websocket) from 10.0.0.7:41234 open for 12 ms`. */
  describe(atMs: number): string[];
  /** Destroys every connection still open. */
  destroy(): void;
}

interface UpgradedConnection {
  readonly request: string;
  readonly peer: string;
  readonly startedAtMs: number;
}

/**
 * Makes an empty {@link UpgradedConnections}; `onClosed` runs after each connection closes. A
 * class: see `createTrafficMeter` for why no object literal with a getter sits on the request path.
 */
export function createUpgradedConnections(
  traffic: TrafficMeter,
  onClosed: () => void,
): UpgradedConnections {
  return new OpenUpgrades(traffic, onClosed);
}

class OpenUpgrades implements UpgradedConnections {
  readonly #connections = new Map<Duplex, UpgradedConnection>();
  readonly #traffic: TrafficMeter;
  // One function for every socket: no closure per connection.
  readonly #forget: (this: Duplex) => void;

  constructor(traffic: TrafficMeter, onClosed: () => void) {
    this.#traffic = traffic;
    const connections = this.#connections;
    this.#forget = function (this: Duplex): void {
      if (!connections.delete(this)) return;
      traffic.requestFinished();
      onClosed();
    };
  }

  get size(): number {
    return this.#connections.size;
  }

  track(req: IncomingMessage, socket: Duplex, startedAtMs: number): void {
    if (socket.destroyed) return;
    // Upgrades are rare next to requests: the description is built now, while the peer is known.
    const { remoteAddress, remotePort } = req.socket;
    this.#connections.set(socket, {
      request: `${req.method ?? 'GET'} ${requestPath(req.url ?? '/')} (upgraded to ${req.headers.upgrade ?? '?'})`,
      peer: `${remoteAddress ?? '?'}:${remotePort ?? '?'}`,
      startedAtMs,
    });
    this.#traffic.requestStarted();
    socket.once('close', this.#forget);
  }

  describe(atMs: number): string[] {
    return [...this.#connections.values()].map(
      (c) => `${c.request} from ${c.peer} open for ${Math.round(atMs - c.startedAtMs)} ms`,
    );
  }

  destroy(): void {
    for (const socket of this.#connections.keys()) socket.destroy();
  }
}
