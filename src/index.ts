/**
 * lameduck: a Node service that owns its shutdown on Kubernetes. Start here with
 * {@link createLifecycle}; servers join through `lameduck/http` (and `lameduck/grpc`).
 *
 * @packageDocumentation
 */

export type { AddressAllowList } from './admin/address-allow-list.js';
export { type QuietPeriodPolicy, quietPeriodMsFor } from './drain/quiet-period.js';
export {
  createTrafficMeter,
  type TrafficMeter,
  type TrafficMeterOptions,
  type TrafficSnapshot,
  trafficMeterDefaults,
} from './drain/traffic-meter.js';
export {
  err,
  LameduckError,
  type LameduckErrorCode,
  ok,
  type Result,
} from './errors/lameduck-error.js';
export {
  type AdminConfig,
  type AdminOptions,
  defaultAdminPort,
} from './lifecycle/admin-options.js';
export type { Clock } from './lifecycle/clock.js';
export {
  createLifecycle,
  type Lifecycle,
  type ShutdownResult,
} from './lifecycle/lifecycle.js';
export type { LifecycleEvent, LifecycleListener } from './lifecycle/lifecycle-events.js';
export {
  type LifecycleConfig,
  type LifecycleNumberOption,
  type LifecycleOptions,
  lifecycleDefaults,
  resolveLifecycleConfig,
} from './lifecycle/lifecycle-options.js';
export type {
  Advertiser,
  LameDuckAware,
  MetricsSource,
  Nudger,
  Participant,
  ReadinessGate,
  ServingAware,
  StopOutcome,
  StopResult,
  TrafficSource,
} from './lifecycle/participant.js';
export {
  isAdvertiser,
  isLameDuckAware,
  isMetricsSource,
  isNudger,
  isReadinessGate,
  isServingAware,
  isTrafficSource,
} from './lifecycle/participant.js';
export type { Phase, PhaseKind, ShutdownTrigger } from './lifecycle/phase.js';
export type { RunOptions } from './lifecycle/run.js';
export { runDefaults } from './lifecycle/run.js';
export type { SettingOrigin } from './lifecycle/setting-source.js';
export {
  createJsonLogger,
  type JsonLoggerOptions,
  jsonLoggerDefaults,
  type Logger,
  type LogLevel,
} from './log/logger.js';
