import type {
  Deadline,
  status as GrpcStatus,
  Metadata,
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerMethodDefinition,
} from '@grpc/grpc-js';
import {
  type InFlightEntry,
  InFlightList,
  type ReadonlyInFlightList,
} from '../drain/in-flight-list.js';
import { createTrafficMeter, type TrafficMeter } from '../drain/traffic-meter.js';

/** A call in flight on a server. */
export interface TrackedCall {
  /** Full method path, e.g. `/echo.v1.Echo/Unary`. */
  readonly method: string;
  /** True for client, server and bidi streams: they are told to end when draining starts. */
  readonly streaming: boolean;
  /** When it arrived, on the tracker's clock. */
  readonly startedAtMs: number;
  /** True once a status is on its way to the caller: the call is finishing. */
  readonly statusSent: boolean;
  /** The caller's address, as grpc-js reports it. */
  peer(): string;
  /** Ends the call now with this status; what the handler sends afterwards is dropped. */
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
  readonly calls: ReadonlyInFlightList<TrackedCall>;
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

// grpc-js exports the interface but not the types of its parts.
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];
type PartialStatusObject = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];
type AuthContext = ReturnType<ServerInterceptingCallInterface['getAuthContext']>;
type ConnectionInfo = ReturnType<ServerInterceptingCallInterface['getConnectionInfo']>;

interface TrackerState {
  readonly calls: InFlightList<TrackedCall>;
  readonly traffic: TrafficMeter;
  idleWaiters: Array<() => void>;
}

/**
 * The interceptor's call: a plain pass-through to the next call, which watches the end of the
 * call. Not grpc-js's `ServerInterceptingCall`, whose responder and listener machinery allocates
 * closures for every event of every call; grpc-js uses interceptor calls through their interface
 * only. Methods on a prototype keep the per-call cost to two small objects.
 */
class TrackingCall implements ServerInterceptingCallInterface, TrackedCall {
  private done = false;
  private started = false;
  private endedByDrain = false;
  private readonly entry: InFlightEntry<TrackedCall>;
  statusSent = false;
  constructor(
    private readonly next: ServerInterceptingCallInterface,
    private readonly state: TrackerState,
    private readonly counts: MethodCounts,
    private readonly probe: boolean,
    readonly method: string,
    readonly streaming: boolean,
    readonly startedAtMs: number,
  ) {
    this.entry = state.calls.add(this);
  }

  /** Called once the call's stream is done: after its status went out, or a reset. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    const { calls, traffic } = this.state;
    calls.remove(this.entry);
    this.counts.inFlight -= 1;
    if (!this.probe) traffic.requestFinished();
    if (calls.size === 0 && this.state.idleWaiters.length > 0) {
      const waiters = this.state.idleWaiters;
      this.state.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
  peer(): string {
    return this.next.getPeer();
  }
  end(code: GrpcStatus, details: string): void {
    if (this.endedByDrain) return;
    this.sendStatus({ code, details });
    // After the status, grpc-js has ended the HTTP/2 stream; a handler's write reaching it then
    // would error the stream, and the trailers would never leave.
    this.endedByDrain = true;
  }

  start(listener: InterceptingServerListener): void {
    // We are the innermost interceptor: the next call is grpc-js's own, which stores the listener
    // and passes it the metadata at once, unless the stream is already gone (an outer interceptor
    // started the call late); it then never reports the end.
    this.next.start(new EndWatchingListener(listener, this));
    if (!this.started) this.finish();
  }
  /** From the listener: the call really started, so its end will be reported. */
  receivedMetadata(): void {
    this.started = true;
  }
  sendMetadata(metadata: Metadata): void {
    if (!this.endedByDrain) this.next.sendMetadata(metadata);
  }
  sendMessage(message: unknown, callback: () => void): void {
    // A dropped write completes on a later turn, so that a handler writing in a loop lets the
    // trailers leave (and learns it was cancelled) instead of spinning.
    if (this.endedByDrain) setImmediate(callback);
    else this.next.sendMessage(message, callback);
  }
  sendStatus(status: PartialStatusObject): void {
    if (this.endedByDrain) return;
    this.statusSent = true;
    this.next.sendStatus(status);
    // Answered without being started (an outer interceptor refused it): grpc-js has no listener
    // to tell of the end.
    if (!this.started) this.finish();
  }
  startRead(): void {
    this.next.startRead();
  }
  getPeer(): string {
    return this.next.getPeer();
  }
  getDeadline(): Deadline {
    return this.next.getDeadline();
  }
  getHost(): string {
    return this.next.getHost();
  }
  getAuthContext(): AuthContext {
    return this.next.getAuthContext();
  }
  getConnectionInfo(): ConnectionInfo {
    return this.next.getConnectionInfo();
  }
  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.next.getMetricsRecorder();
  }
}

/** Passes every event on; grpc-js calls `onCancel` once per call, when its stream is done. */
class EndWatchingListener implements InterceptingServerListener {
  constructor(
    private readonly inner: InterceptingServerListener,
    private readonly call: TrackingCall,
  ) {}
  onReceiveMetadata(metadata: Metadata): void {
    this.call.receivedMetadata();
    this.inner.onReceiveMetadata(metadata);
  }
  onReceiveMessage(message: unknown): void {
    this.inner.onReceiveMessage(message);
  }
  onReceiveHalfClose(): void {
    this.inner.onReceiveHalfClose();
  }
  onCancel(): void {
    this.call.finish();
    this.inner.onCancel();
  }
}

/** Makes a {@link CallTracker}. A call is in flight until its stream is done (status sent or reset). */
export function createCallTracker(options: CallTrackerOptions): CallTracker {
  const { isProbe, now } = options;
  const state: TrackerState = {
    calls: new InFlightList<TrackedCall>(),
    traffic: createTrafficMeter({ now }),
    idleWaiters: [],
  };
  const { calls, traffic } = state;
  const methods = new Map<string, MethodCounts>();

  const countsOf = (method: string): MethodCounts => {
    let counts = methods.get(method);
    if (counts === undefined) {
      counts = { started: 0, inFlight: 0 };
      methods.set(method, counts);
    }
    return counts;
  };

  const interceptor = (
    descriptor: ServerMethodDefinition<unknown, unknown>,
    next: ServerInterceptingCallInterface,
  ): ServerInterceptingCallInterface => {
    const method = descriptor.path;
    const probe = isProbe(method);
    const counts = countsOf(method);
    // Listed in flight by its constructor.
    const call = new TrackingCall(
      next,
      state,
      counts,
      probe,
      method,
      descriptor.requestStream || descriptor.responseStream,
      probe ? now() : traffic.recordArrival(),
    );
    counts.started += 1;
    counts.inFlight += 1;
    if (!probe) traffic.requestStarted();
    return call;
  };

  return {
    // grpc-js types interceptors as returning its own class but uses the result through
    // ServerInterceptingCallInterface only.
    interceptor: interceptor as unknown as ServerInterceptor,
    calls,
    traffic,
    methods,
    whenIdle() {
      if (calls.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => state.idleWaiters.push(resolve));
    },
  };
}
