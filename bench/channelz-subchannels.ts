/**
 * Which call attempts a grpc-js channel in this process sent to which server, read from channelz
 * (no channelz server needs to listen): for benchmarks that ask when a client stopped sending
 * to a server.
 */
import { callChannelz, channelz, channelzNumber as toNumber } from '../test/helpers/channelz.js';

/** What channelz says of one subchannel (one server address of one channel). */
interface SubchannelCalls {
  address: string;
  callsStarted: number;
  /** `Date.now()` when the last call attempt started on it; `undefined` before the first. */
  lastCallStartedEpochMs: number | undefined;
}

/** The channel's current subchannels, by channelz id. */
async function readSubchannels(channelId: number): Promise<Map<string, SubchannelCalls>> {
  const found = new Map<string, SubchannelCalls>();
  const channel = (await callChannelz(channelz.GetChannel, { channel_id: String(channelId) }))
    ?.channel;
  for (const ref of channel?.subchannel_ref ?? []) {
    const id = String(ref.subchannel_id);
    const reply = await callChannelz(channelz.GetSubchannel, { subchannel_id: id });
    const data = reply?.subchannel?.data;
    if (data === undefined || data === null) continue;
    const started = data.last_call_started_timestamp;
    found.set(id, {
      address: data.target ?? '',
      callsStarted: toNumber(data.calls_started),
      lastCallStartedEpochMs:
        started === undefined || started === null
          ? undefined
          : toNumber(started.seconds) * 1000 + Math.floor((started.nanos ?? 0) / 1e6),
    });
  }
  return found;
}

/**
 * Every subchannel a channel has had since the tracker started, with its last figures: channelz
 * forgets a subchannel the channel dropped, and we still want its last attempt.
 */
export class SubchannelHistory {
  private readonly seen = new Map<string, SubchannelCalls>();
  private droppedAtMs: number | undefined;

  constructor(
    readonly channelId: number,
    private readonly victimAddress: string,
  ) {}

  async poll(): Promise<void> {
    const current = await readSubchannels(this.channelId);
    for (const [id, calls] of current) this.seen.set(id, calls);
    const listed = [...current.values()].some((s) => s.address === this.victimAddress);
    if (!listed && this.droppedAtMs === undefined) this.droppedAtMs = performance.now();
  }

  callsStartedToVictim(): number {
    return this.victimSubchannels().reduce((sum, s) => sum + s.callsStarted, 0);
  }

  lastCallStartedToVictimEpochMs(): number | undefined {
    const times = this.victimSubchannels().flatMap((s) =>
      s.lastCallStartedEpochMs === undefined ? [] : [s.lastCallStartedEpochMs],
    );
    return times.length === 0 ? undefined : Math.max(...times);
  }

  /** `performance.now()` of the first poll that found no subchannel for the victim. */
  victimDroppedAtMs(): number | undefined {
    return this.droppedAtMs;
  }

  private victimSubchannels(): SubchannelCalls[] {
    return [...this.seen.values()].filter((s) => s.address === this.victimAddress);
  }
}
