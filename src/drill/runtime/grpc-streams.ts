/**
 * Long-lived server streams held open through a drill: `count` streams, each opened again as
 * soon as it ends (a client that keeps watching), and each end counted: OK (the server ended it,
 * a graceful drain) or the status it failed with (UNAVAILABLE, CANCELLED when a server was
 * forced, …). Messages are raw bytes, so any service can be drilled.
 */
import {
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import type { RequestOutcome } from './open-loop.js';

/** Options of {@link startGrpcStreams}. */
export interface GrpcStreamsOptions {
  target: string;
  /** Full method path of a server-streaming method. */
  method: string;
  request: Buffer;
  /** Streams held open at once. */
  count: number;
  channelOptions: ChannelOptions;
  /** Called as each stream ends; `startedAtMs` is when it opened. */
  onSettled(startedAtMs: number, endedAtMs: number, outcome: RequestOutcome): void;
}

/** Streams being held open. */
export interface GrpcStreams {
  /** Streams opened so far. */
  readonly opened: number;
  /** Cancels every stream (not counted) and closes the channels. */
  stop(): Promise<void>;
}

// A stream that failed is opened again after this, not in a tight loop.
const reopenAfterFailureMs = 100;

/** Opens the streams; they run until `stop()`. */
export function startGrpcStreams(options: GrpcStreamsOptions): GrpcStreams {
  const clients = Array.from(
    { length: options.count },
    () =>
      new Client(options.target, credentials.createInsecure(), {
        ...options.channelOptions,
        'grpc.use_local_subchannel_pool': 1,
      }),
  );
  let stopped = false;
  let opened = 0;
  const live = new Set<{ cancel(): void }>();
  const timers = new Set<NodeJS.Timeout>();

  const open = (client: Client): void => {
    if (stopped) return;
    opened += 1;
    const startedAtMs = performance.now();
    const call = client.makeServerStreamRequest(
      options.method,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      options.request,
      new Metadata(),
      {},
    );
    live.add(call);
    call.on('data', () => {});
    let ended = false;
    const end = (outcome: RequestOutcome): void => {
      if (ended) return;
      ended = true;
      live.delete(call);
      if (stopped) return;
      options.onSettled(startedAtMs, performance.now(), outcome);
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          open(client);
        },
        outcome.ok ? 0 : reopenAfterFailureMs,
      );
      timers.add(timer);
    };
    call.on('error', (error: ServiceError) =>
      end({ ok: false, code: status[error.code] ?? String(error.code), message: error.details }),
    );
    call.on('status', (s) => {
      if (s.code === status.OK) end({ ok: true });
    });
  };
  for (const client of clients) open(client);
  return {
    get opened() {
      return opened;
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const call of live) call.cancel();
      for (const client of clients) client.close();
    },
  };
}
