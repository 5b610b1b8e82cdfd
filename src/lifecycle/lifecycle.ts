import { Registry } from 'prom-client';
import { LameduckError } from '../errors/lameduck-error.js';
import { createJsonLogger, type Logger } from '../log/logger.js';
import { type Budget, createBudget } from './budget.js';
import { planLameDuck } from './lame-duck-plan.js';
import { waitForQuiet } from './lame-duck-wait.js';
import type { LifecycleEvent, LifecycleListener } from './lifecycle-events.js';
import { createLifecycleMetrics } from './lifecycle-metrics.js';
import {
  describeSetting,
  type LifecycleConfig,
  type LifecycleOptions,
  lifecycleDefaults,
  resolveLifecycleConfig,
} from './lifecycle-options.js';
import { logEvent } from './log-event.js';
import {
  isLameDuckAware,
  isMetricsSource,
  isNudger,
  isReadinessGate,
  isServingAware,
  isTrafficSource,
  type Participant,
  type StopOutcome,
} from './participant.js';
import { type Phase, type ShutdownTrigger, transition } from './phase.js';
import { type RunOptions, runLifecycle } from './run.js';
import { settleBy } from './settle-by.js';

/** How a shutdown ended. */
export interface ShutdownResult {
  /** 0 when everything drained; 1 when anything was forced or failed. */
  exitCode: 0 | 1;
  /** What started it. */
  trigger: ShutdownTrigger;
  /** From the trigger to the end of the last participant's stop. */
  shutdownMs: number;
  /** Work that was cut off, prefixed with the participant's name. */
  forced: readonly string[];
  /** Every participant failure (start, lame duck or stop). */
  errors: readonly LameduckError[];
}

/**
 * Owns a service's shutdown: phases, one time budget, participants, and (through
 * {@link Lifecycle.run}) signals, the admin server and the exit code.
 */
export interface Lifecycle {
  /** The current phase. */
  readonly phase: Phase;
  /** True only while serving: what `/readyz` answers. */
  readonly ready: boolean;
  /** The configuration in force (defaults and, after `run()`, the environment applied). */
  readonly config: LifecycleConfig;
  /** The registry holding lameduck's metrics; served on the admin server's `/metrics`. */
  readonly registry: Registry;
  /** The logger events are written to. */
  readonly logger: Logger;
  /** Resolves with the shutdown's result once every participant has stopped. */
  readonly done: Promise<ShutdownResult>;
  /**
   * Adds a participant. Participants start in the order added and stop in reverse order, so add
   * clients (databases, caches) before the servers that use them and the etcd registration after
   * the servers it advertises. Throws `invalid_state` once `start()` has been called.
   */
  add(participant: Participant): this;
  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: LifecycleListener): () => void;
  /**
   * Starts every participant in order, then enters `serving`. If one fails, those already started
   * are stopped in reverse order and the returned promise rejects with `participant_failed`.
   * Binds no port and installs no handler: see {@link Lifecycle.run} for that.
   */
  start(): Promise<void>;
  /**
   * Begins the shutdown, once: readiness turns false at once, lame-duck participants are told,
   * the adaptive wait runs (skipped when not yet serving), then participants stop in reverse
   * order within the budget. Idempotent: later calls join the first shutdown and return its
   * result. Rejects with `invalid_state` before `start()`.
   */
  shutdown(trigger?: ShutdownTrigger): Promise<ShutdownResult>;
  /**
   * Starts lame duck like {@link Lifecycle.shutdown} and resolves when the lame-duck wait is over
   * (at once if it already is): what a `preStop` hook waits for.
   */
  lameDuckOver(trigger?: ShutdownTrigger): Promise<void>;
  /**
   * For a service's main: reads the environment, starts the admin server, takes over SIGTERM and
   * SIGINT, starts the participants, and when the shutdown ends, exits the process with its exit
   * code. A second SIGTERM or SIGINT exits at once with code 1; the process also exits with 1 if
   * forced closes outlast half the safety margin after the budget. A shutdown started by a
   * preStop call drains at once, then waits for the SIGTERM the kubelet sends after the hook (or
   * the budget's end) to exit: the admin server answers a repeated hook call (200) meanwhile.
   *
   * Resolves once serving, and only then. When the service cannot serve, the reason is logged
   * (`config-invalid` for a setting; `participant-failed` for the admin port or a participant,
   * after the participants already started are stopped) and the process exits with code 1 before
   * the promise settles: an expected failure leaves its log line, not a stack trace. A shutdown
   * that begins during start-up (SIGTERM, a preStop call) is no failure: the process exits with
   * the shutdown's code. With `exitProcess: false` the promise rejects instead, once the signal
   * handlers and the admin server are gone: with the `LameduckError` (`invalid_config`,
   * `unavailable`, `participant_failed`), or with `aborted` when a shutdown came during start-up
   * (once it is over). A second call rejects with `invalid_state` and changes nothing.
   */
  run(options?: Partial<RunOptions>): Promise<void>;
  /**
   * Undoes what `run()` set up: removes the signal handlers and closes the admin server. Does not
   * stop participants (see {@link Lifecycle.shutdown}). Idempotent; a no-op without `run()`.
   */
  dispose(): Promise<void>;
}

/**
 * Makes a lifecycle. Throws `invalid_config` when the options cannot work (the environment is
 * checked again by `run()`). Binds no port, installs no handler and reads no environment variable.
 */
export function createLifecycle(options: Partial<LifecycleOptions> = {}): Lifecycle {
  const clock = options.clock ?? lifecycleDefaults.clock;
  const logger = options.logger ?? createJsonLogger();
  const registry = new Registry();
  const participants: Participant[] = [];
  const started: Participant[] = [];
  const listeners = new Set<LifecycleListener>();
  const errors: LameduckError[] = [];
  const forced: string[] = [];
  let config = resolveOrThrow(options, {});
  let phase: Phase = { kind: 'created' };
  let shutdownPromise: Promise<ShutdownResult> | undefined;
  let disposer: (() => Promise<void>) | undefined;
  let resolveDone: (result: ShutdownResult) => void = () => {};
  const done = new Promise<ShutdownResult>((resolve) => {
    resolveDone = resolve;
  });
  let resolveLameDuckOver: () => void = () => {};
  const lameDuckOverPromise = new Promise<void>((resolve) => {
    resolveLameDuckOver = resolve;
  });
  // Aborted when a shutdown arrives during start-up, so slow starts give up.
  const startController = new AbortController();
  let startLoop: Promise<boolean> = Promise.resolve(true);

  // A throwing logger or listener must not break the shutdown it is reporting on.
  const emit = (event: LifecycleEvent): void => {
    try {
      logEvent(logger, event);
    } catch {
      // The logger is broken; the listeners may still work.
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  };
  const moveTo = (next: Exclude<Phase, { kind: 'created' }>): void => {
    const previous = phase;
    phase = transition(phase, next);
    const previousPhaseMs =
      'startedAtMs' in previous ? Math.round(next.startedAtMs - previous.startedAtMs) : 0;
    if ('startedAtMs' in previous) metrics.phaseEnded(previous.kind, previousPhaseMs);
    emit({ type: 'phase-changed', from: previous.kind, to: next.kind, previousPhaseMs });
  };
  const fail = (name: string, step: 'start' | 'lame-duck' | 'stop', cause: unknown): void => {
    const error = new LameduckError(
      'participant_failed',
      `lifecycle: participant '${name}' failed to ${step === 'lame-duck' ? 'enter lame duck' : step}: ${LameduckError.from(cause).rawMessage}`,
      { cause },
    );
    errors.push(error);
    emit({ type: 'participant-failed', name, step, error });
  };
  const trafficSources = () => participants.filter(isTrafficSource).map((p) => p.traffic);
  const metrics = createLifecycleMetrics(registry, {
    phase: () => phase.kind,
    inFlight: () => trafficSources().reduce((sum, t) => sum + t.inFlight, 0),
  });

  // Forced closes after the budget share one deadline: half the safety margin.
  const forcedDeadlineAtMs = (budget: Budget): number => budget.deadlineAtMs + config.forceGraceMs;
  const stopParticipant = async (p: Participant, budget: Budget): Promise<void> => {
    const t0 = clock.now();
    let outcome: StopOutcome | undefined;
    try {
      outcome = await settleBy(
        Promise.resolve()
          .then(() => p.stop(budget.signal))
          .then((stopped) => stopped ?? undefined),
        forcedDeadlineAtMs(budget),
        clock,
        `participant '${p.name}' did not stop within ${config.forceGraceMs} ms after the budget ended`,
      );
    } catch (error) {
      fail(p.name, 'stop', error);
    }
    const forcedWork = outcome?.forcedWork ?? (outcome?.forced ? ['(unspecified work)'] : []);
    const cutShort = outcome?.cutShort ?? [];
    if (forcedWork.length > 0) {
      forced.push(...forcedWork.map((w) => `${p.name}: ${w}`));
      metrics.forced(p.name, forcedWork.length);
    }
    emit({
      type: 'participant-stopped',
      name: p.name,
      durationMs: Math.round(clock.now() - t0),
      forced: outcome?.forced ?? false,
      forcedWork,
      cutShort,
    });
  };

  const runShutdown = async (trigger: ShutdownTrigger): Promise<ShutdownResult> => {
    const budget = createBudget(config.budgetMs, clock);
    emit({
      type: 'shutdown-started',
      trigger,
      budgetMs: config.budgetMs,
      gracePeriodSeconds: config.gracePeriodSeconds,
    });
    try {
      if (phase.kind === 'serving') {
        moveTo({ kind: 'lame-duck', startedAtMs: budget.startedAtMs, trigger });
        // Called before the wait starts, so that every participant is in lame duck before any
        // is nudged (with minLameDuckMs 0 the nudge comes at once).
        const lameDuckWork = started.filter(isLameDuckAware).map((p) => {
          let work: Promise<void>;
          try {
            work = Promise.resolve(p.enterLameDuck(budget.signal));
          } catch (error) {
            work = Promise.reject(error);
          }
          return { name: p.name, work };
        });
        const plan = planLameDuck({ ...config, trigger, participants: started });
        const waited = await waitForQuiet({
          ...plan,
          clock,
          startedAtMs: budget.startedAtMs,
          quietGaps: config.quietGaps,
          sources: started.filter(isTrafficSource).map((p) => p.traffic),
          signal: budget.signal,
          onStarted: ({ quietPeriodMs, arrivalsPerSecond }) => {
            emit({
              type: 'lame-duck-started',
              minWaitMs: plan.minWaitMs,
              maxWaitMs: plan.maxWaitMs,
              quietPeriodMs,
              arrivalsPerSecond: roundRate(arrivalsPerSecond),
              ...(plan.skipped === undefined ? {} : { skipped: plan.skipped }),
            });
          },
          onMinimumPassed: () => {
            emit({
              type: 'connections-nudged',
              afterMs: Math.round(clock.now() - budget.startedAtMs),
            });
            for (const p of started.filter(isNudger)) {
              try {
                p.nudge();
              } catch (error) {
                fail(p.name, 'lame-duck', error);
              }
            }
          },
        });
        if (waited.reason !== 'aborted') {
          emit({
            type: 'lame-duck-ended',
            reason: plan.skipped === undefined ? waited.reason : 'skipped',
            waitedMs: Math.round(waited.waitedMs),
            quietPeriodMs: waited.quietPeriodMs,
            arrivalsPerSecond: roundRate(waited.arrivalsPerSecond),
          });
        }
        resolveLameDuckOver();
        // Lame-duck work (deregistration) had the whole wait; the drain does not wait longer.
        await Promise.all(
          lameDuckWork.map(({ name, work }) =>
            settleBy(
              work,
              clock.now(),
              clock,
              'still entering lame duck when the wait ended',
            ).catch((error: unknown) => fail(name, 'lame-duck', error)),
          ),
        );
      } else {
        startController.abort(
          new LameduckError('aborted', `lifecycle: shutdown (${trigger}) during start-up`),
        );
        resolveLameDuckOver();
        // Participants still starting settle first, so that each started one is stopped; one
        // that ignores the abort is given up at the forced deadline.
        await settleBy(
          startLoop,
          forcedDeadlineAtMs(budget),
          clock,
          'a participant ignored the shutdown during start-up',
        ).catch((error: unknown) => fail('(starting)', 'start', error));
      }
      moveTo({ kind: 'draining', startedAtMs: clock.now(), trigger });
      for (const p of [...started].reverse()) await stopParticipant(p, budget);
    } finally {
      budget.dispose();
    }
    const exitCode = errors.length > 0 || forced.length > 0 ? 1 : 0;
    const shutdownMs = Math.round(clock.now() - budget.startedAtMs);
    moveTo({ kind: 'stopped', startedAtMs: clock.now(), exitCode });
    emit({ type: 'stopped', exitCode, shutdownMs, forced });
    const result: ShutdownResult = { exitCode, trigger, shutdownMs, forced, errors };
    resolveDone(result);
    return result;
  };

  const life: Lifecycle = {
    get phase() {
      return phase;
    },
    get ready() {
      return phase.kind === 'serving' && started.every((p) => !isReadinessGate(p) || p.ready);
    },
    get config() {
      return config;
    },
    registry,
    logger,
    done,
    add(participant) {
      if (phase.kind !== 'created') {
        throw new LameduckError(
          'invalid_state',
          `lifecycle: add() called after start() (phase ${phase.kind})`,
        );
      }
      // Names label logs and metrics: two alike would merge their figures.
      if (participants.some((p) => p.name === participant.name)) {
        throw new LameduckError(
          'invalid_config',
          `lifecycle: a participant named '${participant.name}' was already added; give each its own name`,
        );
      }
      participants.push(participant);
      return life;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      checkLameDuckWorkLimits(participants, config);
      moveTo({ kind: 'starting', startedAtMs: clock.now() });
      // Resolves false when a participant failed to start.
      startLoop = (async () => {
        for (const p of participants) {
          if (startController.signal.aborted) return true;
          const t0 = clock.now();
          try {
            if (isMetricsSource(p)) p.registerMetrics(registry);
            await p.start(startController.signal);
          } catch (error) {
            if (startController.signal.aborted) return true;
            fail(p.name, 'start', error);
            return false;
          }
          started.push(p);
          emit({
            type: 'participant-started',
            name: p.name,
            durationMs: Math.round(clock.now() - t0),
          });
        }
        return true;
      })();
      const allStarted = await startLoop;
      if (!allStarted) {
        await life.shutdown('start-failed');
        throw errors[0];
      }
      if (shutdownPromise !== undefined) return;
      moveTo({ kind: 'serving', startedAtMs: clock.now() });
      for (const p of started.filter(isServingAware)) {
        try {
          p.enterServing();
        } catch (error) {
          fail(p.name, 'start', error);
        }
      }
    },
    shutdown(trigger = 'api') {
      if (phase.kind === 'created') {
        return Promise.reject(
          new LameduckError('invalid_state', 'lifecycle: shutdown() called before start()'),
        );
      }
      if (shutdownPromise !== undefined) {
        emit({ type: 'trigger-joined', trigger, phase: phase.kind });
        return shutdownPromise;
      }
      shutdownPromise = runShutdown(trigger);
      return shutdownPromise;
    },
    async lameDuckOver(trigger = 'prestop') {
      await Promise.race([life.shutdown(trigger), lameDuckOverPromise]);
      await lameDuckOverPromise;
    },
    async dispose() {
      const dispose = disposer;
      disposer = undefined;
      await dispose?.();
    },
    run(runOptions) {
      return runLifecycle(
        {
          life,
          emit,
          reconfigure: (env) => {
            config = resolveOrThrow(options, env);
            // Here too, so that run() reports it as the setting it is, before anything starts.
            checkLameDuckWorkLimits(participants, config);
          },
          setDisposer: (dispose) => {
            disposer = dispose;
          },
        },
        runOptions,
      );
    },
  };
  return life;
}

/**
 * Refuses a shortest lame-duck wait that a participant's lame-duck work (an etcd deregistration
 * bounded by its call timeout) may outlast: that work would be cut off, and callers would still
 * find the instance while it drains.
 */
function checkLameDuckWorkLimits(
  participants: readonly Participant[],
  config: LifecycleConfig,
): void {
  for (const p of participants.filter(isLameDuckAware)) {
    const limit = p.lameDuckWorkLimit;
    if (limit === undefined || config.minLameDuckMs > limit.ms) continue;
    throw new LameduckError(
      'invalid_config',
      `lifecycle: ${describeSetting(config, 'minLameDuckMs')} is not above participant ` +
        `'${p.name}'s ${limit.option} of ${limit.ms} ms: its lame-duck work must end inside the ` +
        `shortest lame-duck wait; raise the wait above ${limit.ms} ms or lower ${limit.option}`,
    );
  }
}

/** Arrivals per second as logged: one decimal. */
function roundRate(arrivalsPerSecond: number): number {
  return Math.round(arrivalsPerSecond * 10) / 10;
}

function resolveOrThrow(
  options: Partial<LifecycleOptions>,
  env: Readonly<Record<string, string | undefined>>,
): LifecycleConfig {
  const resolved = resolveLifecycleConfig(options, env);
  if (!resolved.ok) throw resolved.error;
  return resolved.value;
}
