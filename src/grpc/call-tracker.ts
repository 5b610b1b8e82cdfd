import {
  type status as GrpcStatus,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import { createTrafficMeter, type TrafficMeter } from '../drain/traffic-meter.js';

/** A call in flight on a server. */
export interface TrackedCall {
  /** Full method path, e.g. `/echo.v1.Echo/Unary`. */
  readonly method: string;
  /** True for client, server and bidi streams: they are told to end when draining starts. */
  readonly streaming: boolean;
  /** When it arrived, on the tracker's clock. */
  readonly startedAtMs: number;
  /** The caller's address, as grpc-js reports it. */
  peer(): string;
  /** Ends the call now with this status; the handler's later writes are dropped. */
  end(code: GrpcStatus, details: string): void;
}

/** Calls started and in flight for one method. */
export interface MethodCounts {
  started: number;
  inFlight: number;
}

/** Counts calls through a grpc-js server interceptor. */
export interface CallTracker {
  /** Install on the server (through its bind credentials). */
  readonly interceptor: ServerInterceptor;
  /** Calls in flight, in arrival order. */
  readonly calls: ReadonlySet<TrackedCall>;
  /** Arrivals and calls in flight, probes excluded. */
  readonly traffic: TrafficMeter;
  /** Per-method counts, probes included. */
  readonly methods: ReadonlyMap<string, MethodCounts>;
  /** Resolves once no call is in flight. */
  whenIdle(): Promise<void>;
}

/** Options of {@link createCallTracker}. */
export interface CallTrackerOptions {
  /** Calls to this method path are served and listed but are not traffic (health probes). */
  isProbe(method: string): boolean;
  /** Monotonic clock, in milliseconds. */
  now(): number;
}

/** Makes a {@link CallTracker}. A call is in flight until its stream is done (status sent or reset). */
export function createCallTracker(options: CallTrackerOptions): CallTracker {
  const { isProbe, now } = options;
  const traffic = createTrafficMeter({ now });
  const calls = new Set<TrackedCall>();
  const methods = new Map<string, MethodCounts>();
  let idleWaiters: Array<() => void> = [];

  const countsOf = (method: string): MethodCounts => {
    let counts = methods.get(method);
    if (counts === undefined) {
      counts = { started: 0, inFlight: 0 };
      methods.set(method, counts);
    }
    return counts;
  };

  const interceptor: ServerInterceptor = (
    descriptor: ServerMethodDefinition<unknown, unknown>,
    next: ServerInterceptingCallInterface,
  ) => {
    const probe = isProbe(descriptor.path);
    const counts = countsOf(descriptor.path);
    let done = false;
    // grpc-js calls onCancel once per call when its stream is done: after the status went out,
    // or when the caller reset it or went away.
    const finish = (): void => {
      if (done) return;
      done = true;
      calls.delete(record);
      counts.inFlight -= 1;
      if (!probe) traffic.requestFinished();
      if (calls.size === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    const call = new ServerInterceptingCall(next, {
      start: (startNext) => startNext({ onCancel: finish }),
    });
    const record: TrackedCall = {
      method: descriptor.path,
      streaming: descriptor.requestStream || descriptor.responseStream,
      startedAtMs: probe ? now() : traffic.recordArrival(),
      peer: () => call.getPeer(),
      end: (code, details) => call.sendStatus({ code, details }),
    };
    calls.add(record);
    counts.started += 1;
    counts.inFlight += 1;
    if (!probe) traffic.requestStarted();
    return call;
  };

  return {
    interceptor,
    calls,
    traffic,
    methods,
    whenIdle() {
      if (calls.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
