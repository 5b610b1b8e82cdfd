import type { TrafficSnapshot } from '../drain/traffic-meter.js';

/** What a participant's `stop` reports. */
export interface StopOutcome {
  /** True when work had to be cut off because the budget ran out. */
  forced: boolean;
  /** What was cut off, one short description each (e.g. `GET /report after 12034 ms`). */
  forcedWork?: readonly string[];
}

/**
 * Something that takes part in the lifecycle: a server, a registration, a client pool.
 * Participants start in the order they were added and stop in reverse order.
 */
export interface Participant {
  /** Names the participant in logs, events and metrics. */
  readonly name: string;
  /**
   * Starts the participant. The lifecycle waits for it before starting the next one.
   * If `signal` aborts (a shutdown arrived during start-up), give up and reject.
   */
  start(signal: AbortSignal): Promise<void> | void;
  /**
   * Stops accepting new work and finishes what is in flight. When `signal` aborts (the shutdown
   * budget is spent), cuts off what is left at once and resolves with `forced: true`.
   * Called at most once, and only if `start` resolved.
   */
  stop(signal: AbortSignal): Promise<StopOutcome | undefined> | StopOutcome | undefined;
}

/** A participant that acts as lame duck begins (e.g. deregisters, or marks responses `Connection: close`). */
export interface LameDuckAware {
  /**
   * Called when lame duck begins, after readiness turned false. Must keep serving. `signal` is the
   * shutdown budget's; work that cannot finish before it aborts is abandoned.
   */
  enterLameDuck(signal: AbortSignal): Promise<void> | void;
}

/** A participant that can move established connections away (HTTP/2 and gRPC GOAWAY). */
export interface Nudger {
  /**
   * Called once, when the minimum lame-duck wait has passed (endpoint removal has had time to
   * reach callers): asks established connections to go elsewhere, without failing any request.
   * Connections opened after this are nudged by the participant itself.
   */
  nudge(): void;
}

/** A participant whose traffic the quiet-period detector watches. */
export interface TrafficSource {
  /** Arrivals and in-flight requests of this participant. */
  readonly traffic: TrafficSnapshot;
}

/** True when `p` implements {@link LameDuckAware}. */
export function isLameDuckAware(p: Participant): p is Participant & LameDuckAware {
  return typeof (p as Partial<LameDuckAware>).enterLameDuck === 'function';
}

/** True when `p` implements {@link Nudger}. */
export function isNudger(p: Participant): p is Participant & Nudger {
  return typeof (p as Partial<Nudger>).nudge === 'function';
}

/** True when `p` implements {@link TrafficSource}. */
export function isTrafficSource(p: Participant): p is Participant & TrafficSource {
  return typeof (p as Partial<TrafficSource>).traffic === 'object';
}
