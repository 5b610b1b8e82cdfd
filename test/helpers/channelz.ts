/**
 * grpc-js channelz read in this process (no channelz server needs to listen): what a client's
 * channels did, for tests and benchmarks that ask whether a call is still running or when a
 * client stopped sending to a server.
 */
import { getChannelzHandlers, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';

/** The channelz handlers of this process's grpc-js (etcd3 shares it). */
export const channelz = getChannelzHandlers();

/**
 * Calls a channelz handler in this process. The handlers read nothing of the call but
 * `call.request`, so a stand-in call is enough.
 */
export function callChannelz<Request, Response>(
  handler: handleUnaryCall<Request, Response>,
  request: Request,
): Promise<Response | undefined> {
  return new Promise((resolve) => {
    handler({ request } as unknown as ServerUnaryCall<Request, Response>, (error, value) => {
      resolve(error === null ? (value ?? undefined) : undefined);
    });
  });
}

/** Channelz counters are int64: number, decimal string or Long. */
export function channelzNumber(value: { toString(): string } | undefined | null): number {
  return value === undefined || value === null ? 0 : Number(value.toString());
}

/** Calls on every channel whose target contains `targetPart`: started, and ended either way. */
export async function channelCalls(
  targetPart: string,
): Promise<{ started: number; ended: number }> {
  const reply = await callChannelz(channelz.GetTopChannels, {
    start_channel_id: '0',
    max_results: '0',
  });
  let started = 0;
  let ended = 0;
  for (const channel of reply?.channel ?? []) {
    const data = channel.data;
    if (data === null || data === undefined || !(data.target ?? '').includes(targetPart)) continue;
    started += channelzNumber(data.calls_started);
    ended += channelzNumber(data.calls_succeeded) + channelzNumber(data.calls_failed);
  }
  return { started, ended };
}
