export {
  decideLameDuckWait,
  type LameDuckEndReason,
  type LameDuckWaitDecision,
  type LameDuckWaitState,
  type QuietPeriodPolicy,
  quietPeriodMsFor,
} from './quiet-period.js';
export {
  createTrafficMeter,
  type TrafficMeter,
  type TrafficMeterOptions,
  type TrafficSnapshot,
  trafficMeterDefaults,
} from './traffic-meter.js';
