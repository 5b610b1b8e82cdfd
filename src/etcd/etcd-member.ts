import { setTimeout as delay } from 'node:timers/promises';
import { LameduckError } from '../errors/lameduck-error.js';
import { type EtcdMemberStatus, getEtcdMemberStatus, isEtcdHealthy } from './etcd-http.js';
import { type GuardedExit, type GuardedProcess, spawnGuarded } from './spawn-guarded.js';
import { createStderrTail } from './stderr-tail.js';

/** How many lines of each member's stderr are kept for error messages and `stderrTail()`. */
const STDERR_TAIL_LINES = 200;
/** How many of those lines an error message quotes. */
const ERROR_TAIL_LINES = 30;
/** How long one health probe may take; the overall wait is bounded by `startTimeoutMs`. */
const PROBE_TIMEOUT_MS = 1_000;
/** Pause between two health probes. */
const PROBE_INTERVAL_MS = 50;

/** A certificate the local etcd serves its clients with (TLS tests). */
export interface LocalEtcdClientTls {
  /** PEM certificate for the client URLs' host (127.0.0.1). */
  certPath: string;
  /** Its PEM private key. */
  keyPath: string;
  /** The PEM CA that signed it (the certificate itself, when self-signed). */
  caPem: string;
}

/** One etcd process of a {@link LocalEtcd}. */
export interface LocalEtcdMember {
  /** The member name passed as `--name` (`m0`, `m1`, …). */
  readonly name: string;
  /** Its client URL, `http://127.0.0.1:<port>`; stays the same across `restart()`. */
  readonly clientUrl: string;
  /** Its peer URL, `http://127.0.0.1:<port>`; stays the same across `restart()`. */
  readonly peerUrl: string;
  /** The pid of the etcd process now running, or of the last one once it has exited. */
  readonly pid: number;
  /** Its data directory, inside the temporary root that `LocalEtcd.stop()` removes. */
  readonly dataDir: string;
  /**
   * Sends `signal` to the etcd process (`SIGKILL` simulates a crash, `SIGSTOP` a hang). Does
   * nothing when the member is not running. Returns at once: watch `isRunning()` or call
   * `stop()` to wait for the exit.
   */
  kill(signal: NodeJS.Signals): void;
  /**
   * Stops this member only, gracefully: SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves
   * once the process has exited. Keeps the data directory so `restart()` can rejoin.
   * Idempotent: a second call returns the first promise; resolves at once when the member is
   * not running. Never rejects.
   *
   * A leader hands leadership to a follower on SIGTERM. If that follower died a moment ago,
   * etcd 3.4 still counts it as active and waits for the hand-over until SIGKILL comes, so
   * stopping a leader right after its peers can take the whole `stopTimeoutMs`.
   */
  stop(): Promise<void>;
  /**
   * Stops the member if it runs, starts it again with the same name, ports and data directory,
   * and resolves once its `/health` answers `true` (which needs a quorum of the cluster).
   * Rejects with `unavailable` (stderr tail included) when it exits early or is not healthy
   * within `startTimeoutMs`, with `aborted` when `signal` aborts (the member is then stopped),
   * and with `invalid_state` after the cluster was stopped.
   */
  restart(signal?: AbortSignal): Promise<void>;
  /** Whether the etcd process has not exited yet. */
  isRunning(): boolean;
  /** The last lines (up to 200) the member wrote to stderr, across restarts. */
  stderrTail(): string;
}

/**
 * Everything one member needs to run; computed by `startLocalEtcd`.
 * @internal
 */
export interface EtcdMemberConfig {
  /** `--name`, unique in the cluster. */
  name: string;
  /** Absolute path of the etcd binary. */
  etcdBinary: string;
  /** The address both URLs listen on (`127.0.0.1`). */
  host: string;
  /** The port of the client URL. */
  clientPort: number;
  /** The port of the peer URL. */
  peerPort: number;
  /** `--data-dir`; etcd creates it. */
  dataDir: string;
  /** The temporary root holding every member's data directory. */
  rootDir: string;
  /** The `--initial-cluster` value (`m0=http://…,m1=http://…`). */
  initialCluster: string;
  /** `--initial-cluster-token`, unique per cluster. */
  clusterToken: string;
  /** `--heartbeat-interval`. */
  heartbeatIntervalMs: number;
  /** `--election-timeout`. */
  electionTimeoutMs: number;
  /** Serve clients over TLS (`--cert-file`, `--key-file`); the CA checks the health probes. */
  clientTls: LocalEtcdClientTls | undefined;
  /** The bound of `waitHealthy()` and `restart()`. */
  startTimeoutMs: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
}

type MemberState =
  | { kind: 'stopped'; lastExit: GuardedExit | undefined }
  | { kind: 'running'; process: GuardedProcess }
  | { kind: 'stopping'; process: GuardedProcess; done: Promise<void> };

/**
 * The {@link LocalEtcdMember} implementation; `launch`, `waitHealthy` and `close` are for
 * `startLocalEtcd` only.
 * @internal
 */
export class EtcdMember implements LocalEtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly #config: EtcdMemberConfig;
  readonly #tail = createStderrTail(STDERR_TAIL_LINES);
  #state: MemberState = { kind: 'stopped', lastExit: undefined };
  #pid = 0;
  #closed = false;
  #launching: Promise<unknown> = Promise.resolve();

  constructor(config: EtcdMemberConfig) {
    this.#config = config;
    this.name = config.name;
    const clientScheme = config.clientTls === undefined ? 'http' : 'https';
    this.clientUrl = `${clientScheme}://${config.host}:${config.clientPort}`;
    this.peerUrl = `http://${config.host}:${config.peerPort}`;
    this.dataDir = config.dataDir;
  }

  get pid(): number {
    return this.#pid;
  }

  isRunning(): boolean {
    return this.#state.kind !== 'stopped';
  }

  stderrTail(): string {
    return this.#tail.text();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.#state.kind !== 'stopped') signalPid(this.#state.process.pid, signal);
  }

  stop(): Promise<void> {
    return this.#stop('SIGTERM');
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.launch();
    try {
      await this.waitHealthy(signal);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Spawns etcd (behind its orphan guard); resolves once its pid is known. */
  launch(): Promise<void> {
    const launching = this.#launch();
    this.#launching = launching.catch(() => {});
    return launching;
  }

  async #launch(): Promise<void> {
    if (this.#closed) {
      throw new LameduckError(
        'invalid_state',
        `etcd: member ${this.name} cannot start after the cluster was stopped`,
      );
    }
    if (this.#state.kind !== 'stopped') {
      throw new LameduckError('invalid_state', `etcd: member ${this.name} is already running`);
    }
    const c = this.#config;
    const args = [
      ...['--name', c.name, '--data-dir', c.dataDir],
      ...['--listen-client-urls', this.clientUrl, '--advertise-client-urls', this.clientUrl],
      ...['--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl],
      ...['--initial-cluster', c.initialCluster, '--initial-cluster-state', 'new'],
      ...['--initial-cluster-token', c.clusterToken],
      ...['--heartbeat-interval', String(c.heartbeatIntervalMs)],
      ...['--election-timeout', String(c.electionTimeoutMs)],
      ...(c.clientTls === undefined
        ? []
        : ['--cert-file', c.clientTls.certPath, '--key-file', c.clientTls.keyPath]),
    ];
    let child: GuardedProcess;
    try {
      child = await spawnGuarded({
        command: c.etcdBinary,
        args,
        removeDirs: [c.dataDir],
        removeEmptyDirs: [c.rootDir],
        onOutput: (chunk) => this.#tail.write(chunk),
      });
    } catch (cause) {
      throw this.#error(`etcd: member ${this.name} could not be started`, cause);
    }
    this.#pid = child.pid;
    this.#state = { kind: 'running', process: child };
    void child.exited.then((exit) => {
      if (this.#state.kind !== 'stopped' && this.#state.process === child) {
        this.#state = { kind: 'stopped', lastExit: exit };
      }
    });
    // close() may have run while the pid was on its way.
    if (this.#closed) await this.#stop('SIGKILL');
  }

  /** This member's id and its view of the leader; see {@link getEtcdMemberStatus}. */
  status(requestTimeoutMs: number, signal?: AbortSignal): Promise<EtcdMemberStatus> {
    return getEtcdMemberStatus(
      this.clientUrl,
      requestTimeoutMs,
      signal,
      this.#config.clientTls?.caPem,
    );
  }

  /**
   * Polls `/health` until it answers `true`. Rejects with `unavailable` when the process exits
   * first or `timeoutMs` passes, and with `aborted` when `signal` aborts; stops nothing itself.
   */
  async waitHealthy(signal?: AbortSignal, timeoutMs = this.#config.startTimeoutMs): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'running') {
      throw this.#error(`etcd: member ${this.name} is not running`);
    }
    const deadlineAtMs = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (this.#state.kind === 'stopped') {
          const { code, signal: exitSignal } = this.#state.lastExit ?? { code: null, signal: null };
          const how = exitSignal === null ? `with code ${code}` : `on ${exitSignal}`;
          throw this.#error(`etcd: member ${this.name} exited ${how} before it became healthy`);
        }
        const remainingMs = deadlineAtMs - Date.now();
        if (remainingMs <= 0) {
          throw this.#error(
            `etcd: member ${this.name} did not become healthy within ${timeoutMs} ms`,
          );
        }
        const probeMs = Math.min(PROBE_TIMEOUT_MS, remainingMs);
        if (await isEtcdHealthy(this.clientUrl, probeMs, signal, this.#config.clientTls?.caPem)) {
          return;
        }
        // Wake early when the process exits, so an early exit is reported at once.
        await Promise.race([
          delay(Math.min(PROBE_INTERVAL_MS, remainingMs), undefined, { signal }),
          state.process.exited,
        ]);
      }
    } catch (error) {
      if (signal?.aborted) {
        throw new LameduckError('aborted', `etcd: start of member ${this.name} was aborted`, {
          cause: signal.reason,
        });
      }
      throw error;
    }
  }

  /**
   * Kills the member for good, with SIGKILL (its data is about to be deleted, so a graceful stop
   * buys nothing); later `launch()`/`restart()` calls reject with `invalid_state`. Waits for a
   * launch in flight, then for the process to exit. Never rejects.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#launching;
    await this.#stop('SIGKILL');
  }

  /**
   * Sends `signal`, then SIGKILL after `stopTimeoutMs`, and waits for the exit. A stop already
   * under way is reused; SIGKILL is still sent to it when asked for.
   */
  #stop(signal: NodeJS.Signals): Promise<void> {
    const state = this.#state;
    if (state.kind === 'stopped') return Promise.resolve();
    if (state.kind === 'stopping') {
      if (signal === 'SIGKILL') signalPid(state.process.pid, signal);
      return state.done;
    }
    const done = this.#terminate(state.process, signal);
    this.#state = { kind: 'stopping', process: state.process, done };
    return done;
  }

  async #terminate(child: GuardedProcess, signal: NodeJS.Signals): Promise<void> {
    signalPid(child.pid, signal);
    const escalation = setTimeout(
      () => signalPid(child.pid, 'SIGKILL'),
      this.#config.stopTimeoutMs,
    );
    try {
      await child.waitForExit();
    } finally {
      clearTimeout(escalation);
    }
  }

  #error(message: string, cause?: unknown): LameduckError {
    const tail = this.#tail.lines().slice(-ERROR_TAIL_LINES).join('\n');
    const detail = tail === '' ? ' (no stderr output)' : `; last stderr lines:\n${tail}`;
    return new LameduckError('unavailable', `${message}${detail}`, { cause });
  }
}

/**
 * Whether `error` says a port was taken between `findFreePorts` and etcd's bind.
 * @internal
 */
export function isAddressInUseError(error: unknown): boolean {
  return error instanceof LameduckError && error.rawMessage.includes('address already in use');
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it exited between our check and the signal, which is what we wanted anyway.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
