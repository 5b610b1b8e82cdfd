/**
 * A steady open-loop gRPC unary load (see `open-loop.ts`) through one grpc-js channel, with
 * requests and answers as raw bytes so that it can call a service written in any language.
 */
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials as channelCredentials,
  status as GrpcStatus,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  type Load,
  type OpenLoopOptions,
  type RequestOutcome,
  startOpenLoop,
} from './open-loop.js';

/** Options of {@link startGrpcLoad}. */
export interface GrpcLoadOptions {
  /** grpc-js target, e.g. `ipv4:127.0.0.1:5001,127.0.0.1:5002` or `etcd:///echo`. */
  target: string;
  /** Full method path, e.g. `/lameduck.example.v1.Echo/Unary`. */
  method: string;
  /** The serialized request sent on every call. */
  request: Buffer;
  /** Reads the answering server's pid from a serialized response, when it carries one. */
  pidOf(response: Buffer): string | undefined;
  /** Calls per second. */
  ratePerSecond: number;
  /** Deadline of each call. Default: 2000. */
  deadlineMs: number;
  /** Channel options. Default: round_robin over the resolved addresses. */
  channelOptions: ChannelOptions;
  /** Default: insecure. */
  credentials: ChannelCredentials;
  /**
   * Separate channels the calls are spread over, each with its own connections (as separate
   * callers would have): a Service balances connections, not calls. Default: 1.
   */
  channels: number;
  /** See {@link OpenLoopOptions.onSettled}. */
  onSettled?: OpenLoopOptions['onSettled'];
}

/** Defaults of {@link GrpcLoadOptions}, for the options that have one. */
export const grpcLoadDefaults = {
  deadlineMs: 2000,
  channels: 1,
  channelOptions: {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  },
} satisfies Partial<GrpcLoadOptions>;

const passBytes = (bytes: Buffer): Buffer => bytes;

/** A running gRPC load, with the channelz id of its channel (to read its subchannels). */
export interface GrpcLoad extends Load {
  readonly channelzId: number;
}

/** Starts a gRPC load; it runs until `stop()` or until `signal` aborts. */
export function startGrpcLoad(
  options: Pick<GrpcLoadOptions, 'target' | 'method' | 'request' | 'pidOf' | 'ratePerSecond'> &
    Partial<GrpcLoadOptions>,
  signal?: AbortSignal,
): GrpcLoad {
  const { target, method, request, pidOf, ratePerSecond, deadlineMs, channelOptions, channels } = {
    ...grpcLoadDefaults,
    ...options,
  };
  const credentials = options.credentials ?? channelCredentials.createInsecure();
  const clients = Array.from(
    { length: Math.max(1, channels) },
    () =>
      new Client(
        target,
        credentials,
        // Without a local pool, channels with equal options share their subchannels.
        channels > 1 ? { ...channelOptions, 'grpc.use_local_subchannel_pool': 1 } : channelOptions,
      ),
  );
  const load = startOpenLoop(
    {
      ratePerSecond,
      drainWaitMs: deadlineMs,
      ...(options.onSettled === undefined ? {} : { onSettled: options.onSettled }),
      send: (index) =>
        new Promise<RequestOutcome>((resolve) => {
          const client = clients[index % clients.length] as Client;
          let responseBegan = false;
          const call = client.makeUnaryRequest(
            method,
            passBytes,
            passBytes,
            request,
            new Metadata(),
            { deadline: Date.now() + deadlineMs },
            (error: ServiceError | null, response?: Buffer) => {
              if (error !== null || response === undefined) {
                const code = error?.code ?? GrpcStatus.UNKNOWN;
                resolve({
                  ok: false,
                  code: GrpcStatus[code] ?? String(code),
                  message: error?.details ?? 'no response',
                  afterResponseBegan: responseBegan,
                });
              } else {
                const pid = pidOf(response);
                resolve(pid === undefined ? { ok: true } : { ok: true, pid });
              }
            },
          );
          call.once('metadata', () => {
            responseBegan = true;
          });
        }),
      close: async () => {
        for (const client of clients) client.close();
      },
    },
    signal,
  );
  return {
    ...load,
    channelzId: Number((clients[0] as Client).getChannel().getChannelzRef().id),
  };
}
