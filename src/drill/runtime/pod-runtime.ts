/**
 * The kubelet's part for one pod: start the container, run its startup, readiness and liveness
 * probes, restart a container that exits or fails liveness, and stop it with the kubelet's
 * sequence (killContainer in kuberuntime_container.go):
 *
 * 1. the preStop hook runs (exec, httpGet from the node's address, or sleep), for at most the
 *    grace period; its time, in whole seconds, is taken out of the grace period;
 * 2. at least 2 s remain after it (a hook that overran gets those 2 s);
 * 3. SIGTERM goes to the container's PID 1;
 * 4. SIGKILL to the whole container when the remaining grace is over.
 *
 * Readiness probes keep running while the pod terminates; liveness and startup probes stop.
 * While the node hangs (`freeze`), nothing is probed, signalled or reported until `thaw`.
 */
import type { ContainerSpec, PreStopSpec } from '../model/drill-spec.js';
import { type ContainerExit, type ContainerProcess, startContainer } from './container-process.js';
import { runProbe } from './probe.js';
import { type ProbeWorker, startProbeWorker } from './probe-worker.js';
import type { Reaper } from './reaper.js';
import type { ContainerCommand } from './run-line.js';

/** What the timeline shows of a pod. */
export type PodPhase =
  | 'pending'
  | 'starting'
  | 'ready'
  | 'not-ready'
  | 'hook'
  | 'terminating'
  | 'lame-duck'
  | 'draining'
  | 'exited'
  | 'killed'
  | 'hung'
  | 'lost';

/** Something the kubelet did or saw, for the timeline. */
export type PodEventKind =
  | 'started'
  | 'ready'
  | 'not-ready'
  | 'hook-started'
  | 'hook-failed'
  | 'sigterm'
  | 'sigkill'
  | 'exited'
  | 'restarting'
  | 'hung'
  | 'resumed'
  | 'crashed';

/** What the kubelet tells the rest of the drill. */
export interface PodReporter {
  started(): void;
  readiness(ready: boolean): void;
  gone(): void;
  event(kind: PodEventKind, detail?: string): void;
  phase(phase: PodPhase): void;
  /** Each line the container writes on standard output. */
  output?(line: string): void;
}

/** How the pod's termination went. */
export interface PodTermination {
  sigtermAtMs: number | undefined;
  sigkillAtMs: number | undefined;
  exit: ContainerExit | undefined;
  killed: boolean;
}

/** Options of {@link createPodRuntime}. */
export interface PodRuntimeOptions {
  name: string;
  podAddress: string;
  nodeAddress: string;
  container: ContainerSpec;
  command: ContainerCommand;
  /** What runs exec probes and hooks inside the pod (`ip netns exec NAME` with --netns). */
  execPrefix: readonly string[];
  env: Readonly<Record<string, string>>;
  terminationGracePeriodSeconds: number;
  reaper: Reaper;
  reporter: PodReporter;
}

/** One pod, as its kubelet runs it. */
export interface PodRuntime {
  readonly name: string;
  readonly podAddress: string;
  /** The current container, once started. */
  readonly container: ContainerProcess | undefined;
  readonly termination: PodTermination;
  start(): void;
  /** Runs the stop sequence; resolves when the pod is gone. Idempotent. */
  terminate(): Promise<void>;
  /** The node hangs: every process stops, the kubelet with them. */
  freeze(): void;
  /** The node answers again. */
  thaw(): void;
  /** The node dies: every process is killed, nothing is reported any more. */
  crash(): void;
  /** Kills what is left, at the end of the drill. */
  dispose(): void;
}

// kubelet: `minimumGracePeriodInSeconds`, the time SIGTERM always gets.
const minimumGraceMs = 2000;
// CrashLoopBackOff: 10 s, doubling, at most 5 min.
const restartBackoffMs = (restarts: number) =>
  restarts === 0 ? 0 : Math.min(300_000, 10_000 * 2 ** (restarts - 1));

/** Makes the pod; nothing runs until {@link PodRuntime.start}. */
export function createPodRuntime(options: PodRuntimeOptions): PodRuntime {
  const { container: spec, reporter } = options;
  const graceMs = options.terminationGracePeriodSeconds * 1000;
  const probeTarget = {
    podAddress: options.podAddress,
    nodeAddress: options.nodeAddress,
    env: options.env,
  };
  let container: ContainerProcess | undefined;
  let readiness: ProbeWorker | undefined;
  let liveness: ProbeWorker | undefined;
  let startup: ProbeWorker | undefined;
  let frozen = false;
  let dead = false;
  let terminating = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let terminated: Promise<void> | undefined;
  let lastReady = false;
  let thawed: (() => void) | undefined;
  const termination: PodTermination = {
    sigtermAtMs: undefined,
    sigkillAtMs: undefined,
    exit: undefined,
    killed: false,
  };

  const whenThawed = (): Promise<void> =>
    frozen
      ? new Promise<void>((resolve) => {
          const previous = thawed;
          thawed = () => {
            previous?.();
            resolve();
          };
        })
      : Promise.resolve();
  const setReady = (ready: boolean, detail = ''): void => {
    if (dead || ready === lastReady) return;
    lastReady = ready;
    reporter.readiness(ready);
    reporter.event(ready ? 'ready' : 'not-ready', detail);
    if (!terminating) reporter.phase(ready ? 'ready' : 'not-ready');
  };
  const stopWorkers = (which: { readiness: boolean }): void => {
    liveness?.stop();
    startup?.stop();
    liveness = undefined;
    startup = undefined;
    if (which.readiness) {
      readiness?.stop();
      readiness = undefined;
    }
  };
  const paused = () => frozen || dead;

  const startReadinessAndLiveness = (): void => {
    if (spec.readinessProbe === undefined) setReady(true);
    else {
      readiness = startProbeWorker({
        spec: spec.readinessProbe,
        target: probeTarget,
        paused,
        onVerdict: (ok, detail) => setReady(ok, detail),
      });
    }
    if (spec.livenessProbe !== undefined) {
      liveness = startProbeWorker({
        spec: spec.livenessProbe,
        target: probeTarget,
        paused,
        onVerdict: (ok, detail) => {
          if (!ok && !terminating) void restartContainer(`liveness probe failed: ${detail}`, true);
        },
      });
    }
  };

  const onStdoutLine = (line: string): void => {
    reporter.output?.(line);
    // lameduck services log their phases; others are shown as terminating until they exit.
    if (!terminating || !line.includes('"phase-changed"')) return;
    try {
      const event = JSON.parse(line) as { event?: unknown; to?: unknown };
      if (event.event !== 'phase-changed') return;
      if (event.to === 'lame-duck' || event.to === 'draining') reporter.phase(event.to);
    } catch {
      // Not JSON after all.
    }
  };

  const runContainer = (): void => {
    const current = startContainer(options.command, {
      env: options.env,
      reaper: options.reaper,
      onStdoutLine,
    });
    container = current;
    reporter.started();
    reporter.event('started', `pid ${current.pid}`);
    reporter.phase('starting');
    if (spec.startupProbe === undefined) startReadinessAndLiveness();
    else {
      startup = startProbeWorker({
        spec: spec.startupProbe,
        target: probeTarget,
        paused,
        onVerdict: (ok, detail) => {
          if (terminating) return;
          startup?.stop();
          startup = undefined;
          if (ok) startReadinessAndLiveness();
          else void restartContainer(`startup probe failed: ${detail}`, true);
        },
      });
    }
    void current.exited.then((exit) => {
      if (dead || terminating || current !== container) return;
      // Exited on its own: restarted, as restartPolicy Always does, after a backoff.
      void restartContainer(`exited with ${exit.signal ?? `code ${exit.code}`}`, false);
    });
  };

  const restartContainer = async (reason: string, kill: boolean): Promise<void> => {
    stopWorkers({ readiness: true });
    setReady(false);
    reporter.event('restarting', reason);
    const current = container;
    if (kill && current !== undefined) await stopContainer(current);
    if (dead || terminating) return;
    const delayMs = restartBackoffMs(restarts);
    restarts += 1;
    restartTimer = setTimeout(() => {
      if (!dead && !terminating) runContainer();
    }, delayMs);
  };

  /**
   * The kubelet's killContainer for the current container: hook, SIGTERM, SIGKILL. Only the
   * pod's deletion is recorded in `termination`, not a restart's.
   */
  const stopContainer = async (current: ContainerProcess): Promise<void> => {
    const record = terminating;
    let remainingMs = graceMs;
    if (spec.preStop !== undefined && current.running) {
      if (record) reporter.phase('hook');
      reporter.event('hook-started', describeHook(spec.preStop));
      const hookStartedAtMs = performance.now();
      const outcome = await boundBy(runHook(spec.preStop), graceMs);
      await whenThawed();
      if (outcome !== 'ok') reporter.event('hook-failed', outcome);
      // The kubelet counts the hook's time in whole seconds. Node's timers may fire a millisecond
      // before performance.now() says the delay is over (libuv's loop time is whole ms); Go's
      // sleep never returns early, so a sleep hook counts at least its own length.
      const hookMs = Math.max(
        performance.now() - hookStartedAtMs,
        spec.preStop.kind === 'sleep' ? spec.preStop.seconds * 1000 : 0,
      );
      const hookSeconds = Math.floor(hookMs / 1000);
      remainingMs = Math.max(graceMs - hookSeconds * 1000, minimumGraceMs);
    }
    if (current.running) {
      await whenThawed();
      if (record) termination.sigtermAtMs = performance.now();
      reporter.event('sigterm');
      if (record) reporter.phase('terminating');
      current.signal('SIGTERM');
    }
    const killTimer = setTimeout(() => {
      void whenThawed().then(() => {
        if (!current.running || dead) return;
        if (record) {
          termination.sigkillAtMs = performance.now();
          termination.killed = true;
        }
        reporter.event('sigkill');
        current.kill();
      });
    }, remainingMs);
    const exit = await current.exited;
    clearTimeout(killTimer);
    if (record) termination.exit = exit;
    reporter.event('exited', exit.signal ?? `code ${exit.code}`);
  };

  const runHook = async (hook: PreStopSpec): Promise<string> => {
    if (hook.kind === 'sleep') {
      await new Promise((resolve) => setTimeout(resolve, hook.seconds * 1000));
      return 'ok';
    }
    const handler = hook.kind === 'exec' ? { kind: 'exec' as const, command: hook.command } : hook;
    // A hook has no timeout of its own: the grace period bounds it (and ends an exec hook).
    const result = await runProbe(handler, probeTarget, graceMs);
    return result.ok ? 'ok' : result.detail;
  };

  return {
    name: options.name,
    podAddress: options.podAddress,
    get container() {
      return container;
    },
    termination,
    start() {
      if (!dead) runContainer();
    },
    terminate() {
      terminated ??= (async () => {
        terminating = true;
        clearTimeout(restartTimer);
        stopWorkers({ readiness: false });
        await whenThawed();
        const current = container;
        if (current !== undefined && !dead) await stopContainer(current);
        stopWorkers({ readiness: true });
        if (dead) return;
        reporter.phase(termination.killed ? 'killed' : 'exited');
        reporter.gone();
      })();
      return terminated;
    },
    freeze() {
      if (frozen || dead) return;
      frozen = true;
      container?.pause();
      reporter.event('hung');
      reporter.phase('hung');
    },
    thaw() {
      if (!frozen || dead) return;
      frozen = false;
      container?.resume();
      reporter.event('resumed');
      if (!terminating) reporter.phase(lastReady ? 'ready' : 'not-ready');
      const wake = thawed;
      thawed = undefined;
      wake?.();
    },
    crash() {
      if (dead) return;
      dead = true;
      clearTimeout(restartTimer);
      stopWorkers({ readiness: true });
      container?.kill();
      reporter.event('crashed');
      reporter.phase('lost');
      const wake = thawed;
      thawed = undefined;
      wake?.();
    },
    dispose() {
      dead = true;
      clearTimeout(restartTimer);
      stopWorkers({ readiness: true });
      container?.resume();
      container?.kill();
    },
  };
}

/** `work`'s outcome, or a timeout message after `limitMs`. */
async function boundBy(work: Promise<string>, limitMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`did not finish within the grace period (${limitMs / 1000} s)`),
      limitMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeHook(hook: PreStopSpec): string {
  switch (hook.kind) {
    case 'exec':
      return `exec ${hook.command.join(' ')}`;
    case 'sleep':
      return `sleep ${hook.seconds} s`;
    case 'httpGet':
      return `httpGet :${hook.port}${hook.path}`;
  }
}
