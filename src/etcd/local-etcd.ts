import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LameduckError } from '../errors/lameduck-error.js';
import { timerDelayLimitMs } from '../options/timer-delay.js';
import { checkWholeNumber } from '../options/whole-number.js';
import {
  EtcdMember,
  isAddressInUseError,
  type LocalEtcdClientTls,
  type LocalEtcdMember,
} from './etcd-member.js';
import { findExecutable } from './find-executable.js';
import { findFreePorts } from './free-port.js';

/** Options of {@link startLocalEtcd} and {@link startLocalEtcdCluster}. */
export interface LocalEtcdOptions {
  /**
   * How many members to start (`m0`, `m1`, …), all in one new cluster.
   * Default: `1` (`3` for `startLocalEtcdCluster`).
   */
  members?: number;
  /**
   * The etcd program: a name looked up on `PATH`, or a path.
   * Default: `'etcd'`.
   */
  etcdBinary?: string;
  /**
   * How long to wait, per attempt, for every member's `/health` to answer `true`; also the
   * default bound of `restart()` and `leader()`.
   * Default: `15000`.
   */
  startTimeoutMs?: number;
  /**
   * How long `member.stop()` waits after SIGTERM before it sends SIGKILL.
   * Default: `5000`.
   */
  stopTimeoutMs?: number;
  /**
   * etcd's `--heartbeat-interval`; small, so tests see a failover quickly.
   * Default: `100`.
   */
  heartbeatIntervalMs?: number;
  /**
   * etcd's `--election-timeout`; at least five heartbeats (etcd refuses less).
   * Default: `1000`.
   */
  electionTimeoutMs?: number;
  /**
   * Serve clients over TLS with this certificate: `endpoints` become `https://` URLs. Peers
   * still talk plain HTTP (loopback only).
   * Default: none (plain HTTP).
   */
  clientTls?: LocalEtcdClientTls;
  /**
   * Aborts the start: every process started so far is stopped, the temporary directory is
   * removed, and the promise rejects with `aborted`.
   * Default: none.
   */
  signal?: AbortSignal;
}

/** The defaults of {@link LocalEtcdOptions}; a test asserts them. */
export const localEtcdDefaults = {
  members: 1,
  etcdBinary: 'etcd',
  startTimeoutMs: 15_000,
  stopTimeoutMs: 5_000,
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1_000,
} as const satisfies Required<Omit<LocalEtcdOptions, 'signal' | 'clientTls'>>;

/** A running local etcd cluster (one or more members) that a test started for itself. */
export interface LocalEtcd {
  /** The members' client URLs, in member order; pass them to an etcd client as hosts. */
  readonly endpoints: string[];
  /** The members, in order (`m0` first). */
  readonly members: readonly LocalEtcdMember[];
  /**
   * Resolves with the member that leads: the running members that answer agree on one leader
   * and that leader answers too. Waits, polling `/v3/maintenance/status`, through an election
   * (after the old leader was killed, say). Rejects with `unavailable` when no such leader shows
   * up within `timeoutMs` (default: `startTimeoutMs`), and with `aborted` when `signal` aborts.
   */
  leader(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<LocalEtcdMember>;
  /**
   * Tears the cluster down: SIGKILLs every member, waits for them to exit, then removes the
   * temporary directory with every member's data. Clients see their connections reset.
   * Afterwards `restart()` rejects with `invalid_state`. Idempotent: a second call returns the
   * first promise. Rejects only when the directory cannot be removed.
   *
   * Why SIGKILL and not SIGTERM: the data is deleted anyway, and a SIGTERMed etcd 3.4 leader
   * tries to hand leadership to a follower; when the followers are stopping too (or died a
   * moment ago) that hand-over waits up to its request timeout (about 7 s) instead of
   * exiting. Use `member.stop()` for a graceful stop of one member.
   */
  stop(): Promise<void>;
  /** Calls `stop()`, for `await using etcd = await startLocalEtcd()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const STATUS_TIMEOUT_MS = 1_000;
const LEADER_POLL_INTERVAL_MS = 50;
const START_ATTEMPTS = 2;
const HOST = '127.0.0.1';

/**
 * Starts a fresh etcd cluster of `members` members on free 127.0.0.1 ports, each with a data
 * directory under a new `lameduck-etcd-*` directory in `os.tmpdir()`, and resolves once every
 * member reports healthy.
 *
 * Every etcd runs behind an orphan guard (`spawn-guarded.ts`): when this process dies, however
 * it dies, the guard SIGKILLs etcd and removes its data. The processes do not keep this
 * process alive. Call `stop()` (or use `await using`) when done.
 *
 * If a port was taken in the meantime, the start is retried once with new ports. Rejects with
 * `unavailable` when the binary is missing, a member exits early or a member is not healthy
 * within `startTimeoutMs` (the message quotes the member's last stderr lines), with `aborted`
 * when `signal` aborts, and with `invalid_config` for a bad option. Nothing is left running or
 * on disk when it rejects.
 */
export async function startLocalEtcd(options: LocalEtcdOptions = {}): Promise<LocalEtcd> {
  const config = resolveOptions(options);
  const etcdBinary = await findExecutable(config.etcdBinary);
  if (etcdBinary === undefined) {
    throw new LameduckError(
      'unavailable',
      `etcd: the etcd binary was not found on PATH (etcdBinary: ${JSON.stringify(config.etcdBinary)}); ` +
        'run `make test` (installs Debian etcd-server) or apt-get install etcd-server',
    );
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startAttempt(config, etcdBinary, options.signal);
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !isAddressInUseError(error)) throw error;
    }
  }
}

/**
 * {@link startLocalEtcd} with three members by default: enough for a quorum to survive the loss
 * of one member (leader failover tests).
 */
export function startLocalEtcdCluster(options: LocalEtcdOptions = {}): Promise<LocalEtcd> {
  return startLocalEtcd({ ...options, members: options.members ?? 3 });
}

type ResolvedOptions = Required<Omit<LocalEtcdOptions, 'signal' | 'clientTls'>> &
  Pick<LocalEtcdOptions, 'clientTls'>;

function resolveOptions(options: LocalEtcdOptions): ResolvedOptions {
  const config: ResolvedOptions = { ...localEtcdDefaults, clientTls: options.clientTls };
  for (const key of Object.keys(localEtcdDefaults) as Array<keyof ResolvedOptions>) {
    if (options[key] !== undefined) Object.assign(config, { [key]: options[key] });
  }
  for (const key of ['members', 'heartbeatIntervalMs'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new LameduckError(
        'invalid_config',
        `etcd: ${key} must be a positive integer, got ${config[key]}`,
      );
    }
  }
  // stop() escalates to SIGKILL on a timer of stopTimeoutMs; waits are bounded by startTimeoutMs.
  for (const key of ['startTimeoutMs', 'stopTimeoutMs'] as const) {
    const checked = checkWholeNumber(key, config[key], { minimum: 1, ...timerDelayLimitMs });
    if (!checked.ok) throw new LameduckError('invalid_config', `etcd: ${checked.error}`);
  }
  if (
    !Number.isInteger(config.electionTimeoutMs) ||
    config.electionTimeoutMs < 5 * config.heartbeatIntervalMs
  ) {
    throw new LameduckError(
      'invalid_config',
      `etcd: electionTimeoutMs must be an integer of at least 5 × heartbeatIntervalMs ` +
        `(${5 * config.heartbeatIntervalMs}), got ${config.electionTimeoutMs}`,
    );
  }
  return config;
}

async function startAttempt(
  config: ResolvedOptions,
  etcdBinary: string,
  signal: AbortSignal | undefined,
): Promise<LocalEtcd> {
  const rootDir = await mkdtemp(path.join(os.tmpdir(), 'lameduck-etcd-'));
  const members: EtcdMember[] = [];
  try {
    const ports = await findFreePorts(2 * config.members, HOST);
    const names = Array.from({ length: config.members }, (_, i) => `m${i}`);
    const peerUrl = (i: number) => `http://${HOST}:${ports[2 * i + 1]}`;
    const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(',');
    for (const [i, name] of names.entries()) {
      members.push(
        new EtcdMember({
          name,
          etcdBinary,
          host: HOST,
          clientPort: ports[2 * i] ?? 0,
          peerPort: ports[2 * i + 1] ?? 0,
          dataDir: path.join(rootDir, name),
          rootDir,
          initialCluster,
          // The directory name is unique, so two clusters never mistake each other's peers.
          clusterToken: path.basename(rootDir),
          heartbeatIntervalMs: config.heartbeatIntervalMs,
          electionTimeoutMs: config.electionTimeoutMs,
          clientTls: config.clientTls,
          startTimeoutMs: config.startTimeoutMs,
          stopTimeoutMs: config.stopTimeoutMs,
        }),
      );
    }
    signal?.throwIfAborted();
    await Promise.all(members.map((member) => member.launch()));
    await Promise.all(members.map((member) => member.waitHealthy(signal)));
  } catch (error) {
    await closeAll(members);
    await rm(rootDir, { recursive: true, force: true });
    if (signal?.aborted && !(error instanceof LameduckError && error.code === 'aborted')) {
      throw new LameduckError('aborted', 'etcd: start was aborted', { cause: signal.reason });
    }
    throw error;
  }
  return createLocalEtcd(members, rootDir, config.startTimeoutMs);
}

function createLocalEtcd(
  members: readonly EtcdMember[],
  rootDir: string,
  startTimeoutMs: number,
): LocalEtcd {
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await closeAll(members);
      await rm(rootDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return {
    endpoints: members.map((member) => member.clientUrl),
    members,
    leader: (options = {}) =>
      findLeader(members, options.timeoutMs ?? startTimeoutMs, options.signal),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Kills every member (SIGKILL, see `EtcdMember.close`) and waits until all have exited. */
async function closeAll(members: readonly EtcdMember[]): Promise<void> {
  await Promise.all(members.map((member) => member.close()));
}

async function findLeader(
  members: readonly EtcdMember[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<LocalEtcdMember> {
  const deadlineAtMs = Date.now() + timeoutMs;
  let lastView = 'no member answered';
  try {
    for (;;) {
      signal?.throwIfAborted();
      const running = members.filter((member) => member.isRunning());
      const answers = await Promise.all(
        running.map((member) =>
          member.status(STATUS_TIMEOUT_MS, signal).then(
            (status) => ({ member, status }),
            () => undefined,
          ),
        ),
      );
      const answered = answers.filter((answer) => answer !== undefined);
      const leaderIds = new Set(answered.map(({ status }) => status.leaderId));
      const leader = answered.find(({ status }) => status.memberId === status.leaderId);
      if (leaderIds.size === 1 && leader !== undefined) return leader.member;
      if (answered.length > 0) {
        lastView = answered
          .map(({ member, status }) => `${member.name}→${status.leaderId}`)
          .join(', ');
      }
      if (Date.now() >= deadlineAtMs) {
        throw new LameduckError(
          'unavailable',
          `etcd: the running members did not agree on a running leader within ${timeoutMs} ms ` +
            `(last view: ${lastView})`,
        );
      }
      await delay(LEADER_POLL_INTERVAL_MS, undefined, { signal });
    }
  } catch (error) {
    if (signal?.aborted) {
      throw new LameduckError('aborted', 'etcd: leader() was aborted', { cause: signal.reason });
    }
    throw error;
  }
}
