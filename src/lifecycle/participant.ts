import type { Registry } from 'prom-client';
import type { TrafficSnapshot } from '../drain/traffic-meter.js';

/** What a participant's `stop` reports. */
export interface StopOutcome {
  /** True when work had to be cut off because the budget ran out. */
  forced: boolean;
  /** What was cut off, one short description each (e.g. `GET /report after 12034 ms`). */
  forcedWork?: readonly string[];
  /**
   * Work ended early by design before the budget ran out (e.g. a stream that ignored the drain
   * signal, ended after its grace period). Logged as a warning; does not make the exit code 1.
   */
  cutShort?: readonly string[];
}

/**
 * What `stop` may return: an outcome, or nothing (nothing was forced), at once or as a promise.
 * `void` is in the union so that a participant written as users write them type-checks:
 * `stop() {}` and `async stop() { await pool.end(); }`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `void` is what a body without `return` gives.
export type StopResult = Promise<StopOutcome | undefined | void> | StopOutcome | undefined | void;

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
   * Called at most once, and only if `start` resolved. Returning nothing (`async stop() { await
   * pool.end(); }`) means nothing was forced; a rejection is reported as the participant's
   * failure and makes the exit code 1.
   */
  stop(signal: AbortSignal): StopResult;
}

/** A participant that acts when every participant has started and the service is ready. */
export interface ServingAware {
  /** Called once, when the lifecycle enters `serving` (e.g. a health service turns SERVING). */
  enterServing(): void;
}

/** A participant without which the service is not ready (a registration not yet in etcd). */
export interface ReadinessGate {
  /** False keeps `/readyz` at 503 even while the lifecycle serves. Read on every probe. */
  readonly ready: boolean;
}

/** A participant that exposes its own metrics. */
export interface MetricsSource {
  /** Called once, at `start()`, with the lifecycle's registry (served on `/metrics`). */
  registerMetrics(registry: Registry): void;
}

/** A participant that acts as lame duck begins (e.g. deregisters, or marks responses `Connection: close`). */
export interface LameDuckAware {
  /**
   * Called when lame duck begins, after readiness turned false. Must keep serving. `signal` is the
   * shutdown budget's; work that cannot finish before it aborts is abandoned.
   */
  enterLameDuck(signal: AbortSignal): Promise<void> | void;
  /**
   * The longest `enterLameDuck` may take, and the option of the participant that sets it (e.g.
   * `{ ms: 1000, option: 'callTimeoutMs' }`). Lame-duck work still running when the shortest wait
   * ends is cut off, so the lifecycle refuses to start unless `minLameDuckMs` is above it.
   */
  readonly lameDuckWorkLimit?: { readonly ms: number; readonly option: string };
}

/**
 * A participant through which callers find the service besides Kubernetes' endpoints (an etcd
 * registration): its removal takes time to reach them, so the lame-duck wait is kept even for a
 * Ctrl-C outside Kubernetes, which otherwise drains at once.
 */
export interface Advertiser {
  /** Where callers find the service, for messages (e.g. `etcd service 'echo'`). */
  readonly advertisedIn: string;
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

/** True when `p` implements {@link ServingAware}. */
export function isServingAware(p: Participant): p is Participant & ServingAware {
  return typeof (p as Partial<ServingAware>).enterServing === 'function';
}

/** True when `p` implements {@link ReadinessGate}. */
export function isReadinessGate(p: Participant): p is Participant & ReadinessGate {
  return typeof (p as Partial<ReadinessGate>).ready === 'boolean';
}

/** True when `p` implements {@link MetricsSource}. */
export function isMetricsSource(p: Participant): p is Participant & MetricsSource {
  return typeof (p as Partial<MetricsSource>).registerMetrics === 'function';
}

/** True when `p` implements {@link LameDuckAware}. */
export function isLameDuckAware(p: Participant): p is Participant & LameDuckAware {
  return typeof (p as Partial<LameDuckAware>).enterLameDuck === 'function';
}

/** True when `p` implements {@link Advertiser}. */
export function isAdvertiser(p: Participant): p is Participant & Advertiser {
  return typeof (p as Partial<Advertiser>).advertisedIn === 'string';
}

/** True when `p` implements {@link Nudger}. */
export function isNudger(p: Participant): p is Participant & Nudger {
  return typeof (p as Partial<Nudger>).nudge === 'function';
}

/** True when `p` implements {@link TrafficSource}. */
export function isTrafficSource(p: Participant): p is Participant & TrafficSource {
  return typeof (p as Partial<TrafficSource>).traffic === 'object';
}
