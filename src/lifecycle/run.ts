import { type AdminServer, createAdminServer } from '../admin/admin-server.js';
import { LameduckError } from '../errors/lameduck-error.js';
import { assertKnownOptions } from '../options/option-check.js';
import { type AdminConfig, adminPortInUseAdvice } from './admin-options.js';
import type { Lifecycle } from './lifecycle.js';
import type { LifecycleEvent } from './lifecycle-events.js';
import type { PhaseKind } from './phase.js';
import { createRefusalLog } from './refusal-log.js';

/** Options of {@link Lifecycle.run}. */
export interface RunOptions {
  /** Environment to read configuration from. Default: `process.env`. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Exit the process when the shutdown ends, or with code 1 when the service cannot serve (see
   * {@link Lifecycle.run}). With `false`, `run()` rejects instead and the process is left to the
   * caller. Default: true.
   */
  exitProcess: boolean;
}

/** Defaults of {@link RunOptions}. */
export const runDefaults: RunOptions = { env: process.env, exitProcess: true };

/** What `run` needs from inside the lifecycle. */
export interface LifecycleInternals {
  life: Lifecycle;
  emit(event: LifecycleEvent): void;
  /** Re-resolves the configuration with `env` and checks it against the participants; throws `invalid_config`. */
  reconfigure(env: Readonly<Record<string, string | undefined>>): void;
  /** Registers what `dispose()` undoes. */
  setDisposer(dispose: () => Promise<void>): void;
}

const shutdownSignals = ['SIGTERM', 'SIGINT'] as const;

/** The admin server's failure to listen; a port in use says which setting to change, and how. */
function adminListenFailure(error: unknown, admin: AdminConfig): LameduckError {
  const failure = LameduckError.from(error);
  if ((failure.cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return failure;
  return new LameduckError(
    'unavailable',
    `admin: cannot listen on ${admin.host ?? '*'}:${admin.port}: ${adminPortInUseAdvice(admin)}`,
    { cause: failure.cause },
  );
}

/**
 * The process-facing half of the lifecycle, and the only code in lameduck that touches
 * `process.on` and `process.exit`. SIGKILL cannot be caught: the budget ends before the kubelet
 * sends it, so the process is gone by then. Resolves only once serving; see {@link Lifecycle.run}
 * for when and how it fails.
 */
export async function runLifecycle(
  internals: LifecycleInternals,
  options: Partial<RunOptions> = {},
): Promise<void> {
  assertKnownOptions('lifecycle: run()', options, Object.keys(runDefaults));
  const { env, exitProcess } = { ...runDefaults, ...options };
  const { life, emit } = internals;
  // A function, so that TypeScript does not narrow the phase across the awaits below.
  const phaseNow = (): PhaseKind => life.phase.kind;
  if (phaseNow() !== 'created') {
    // A bug in the caller's code, not a condition of the pod: a rejection with its stack.
    throw new LameduckError('invalid_state', `lifecycle: run() called again (phase ${phaseNow()})`);
  }
  // Expected failures (a bad setting, a port in use) are logged as one line by then: exit 1
  // before the caller's `await life.run()` can reject, which Node would print with a stack trace.
  const failBeforeServing = (error: LameduckError): never => {
    if (exitProcess) process.exit(1);
    throw error;
  };
  try {
    internals.reconfigure(env);
  } catch (error) {
    const invalid = LameduckError.from(error, 'invalid_config');
    emit({ type: 'config-invalid', error: invalid });
    failBeforeServing(invalid);
  }
  const config = life.config;

  const refusals = createRefusalLog({ report: emit });
  let admin: AdminServer | undefined;
  if (config.admin !== false) {
    admin = createAdminServer({
      ...config.admin,
      registries: [life.registry, ...config.admin.metricsRegistries],
      handlers: {
        isReady: () => life.ready,
        prestop: () => life.lameDuckOver('prestop'),
        prestopRefused: (remoteAddress) => refusals.refused(remoteAddress),
      },
    });
    try {
      const address = await admin.listen();
      emit({ type: 'admin-listening', host: address.address, port: address.port });
    } catch (error) {
      const unavailable = adminListenFailure(error, config.admin);
      emit({ type: 'participant-failed', name: 'admin', step: 'start', error: unavailable });
      failBeforeServing(unavailable);
    }
  }

  let uncaught = false;
  let disposed = false;
  let signalled = false;
  let hardExitTimer: NodeJS.Timeout | undefined;
  let budgetEndsAtMs = Number.POSITIVE_INFINITY;
  // After a preStop-triggered shutdown the process stays until the kubelet's SIGTERM, which
  // follows the hook, or the budget's end: see stayForSignal.
  let releaseStay: () => void = () => {};
  const stayReleased = new Promise<void>((resolve) => {
    releaseStay = resolve;
  });
  const exit = (code: 0 | 1): void => {
    if (disposed) return;
    // The refusals counted since the last report go in the log before the process ends.
    refusals.close();
    // Removing the last SIGTERM listener restores the default action, which would let a SIGTERM
    // landing now (the kubelet's, right after a preStop) kill the process instead of this exit.
    if (exitProcess) process.exit(code);
    teardown();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      emit({ type: 'forced-exit', reason: 'second-signal', signal });
      exit(1);
      return;
    }
    signalled = true;
    releaseStay();
    void life.shutdown(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };
  // While shutting down, an uncaught error must not skip the drain: log it, finish, exit 1.
  const onUncaught = (error: unknown): void => {
    uncaught = true;
    emit({ type: 'uncaught-error', error: LameduckError.from(error) });
  };
  const onEvent = (event: LifecycleEvent): void => {
    if (event.type !== 'shutdown-started') return;
    process.on('uncaughtException', onUncaught);
    budgetEndsAtMs = performance.now() + event.budgetMs;
    const hardExitMs = event.budgetMs + config.forceGraceMs;
    hardExitTimer = setTimeout(() => {
      emit({ type: 'forced-exit', reason: 'hard-deadline' });
      exit(1);
    }, hardExitMs);
  };
  const unsubscribe = life.on(onEvent);
  function teardown(): void {
    if (hardExitTimer !== undefined) clearTimeout(hardExitTimer);
    refusals.close();
    unsubscribe();
    for (const signal of shutdownSignals) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
  }
  for (const signal of shutdownSignals) process.on(signal, onSignal);
  internals.setDisposer(async () => {
    disposed = true;
    releaseStay();
    teardown();
    await admin?.close();
  });

  /**
   * Hooks are delivered at least once: a second preStop call must find the admin server and get
   * its 200, not a refused connection (a failed hook, a warning on the pod). So once a shutdown
   * the hook started has drained, the process waits for the SIGTERM the kubelet sends after the
   * hook, or for the budget's end, before it exits with the drain's code.
   */
  const stayForSignal = async (): Promise<void> => {
    const stayMs = Math.max(0, Math.round(budgetEndsAtMs - performance.now()));
    emit({ type: 'exit-deferred', reason: 'prestop', maxWaitMs: stayMs });
    let stayTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      stayReleased,
      new Promise<void>((resolve) => {
        stayTimer = setTimeout(resolve, stayMs);
      }),
    ]);
    clearTimeout(stayTimer);
  };

  // With exitProcess, exit() ends the process: awaiting this then never returns.
  const ended = life.done.then(async (result) => {
    if (result.trigger === 'prestop' && !signalled && !disposed) await stayForSignal();
    await admin?.close();
    exit(uncaught ? 1 : result.exitCode);
    return result;
  });
  try {
    await life.start();
  } catch (error) {
    // start() has logged the failure and stopped what had started; the exit is 1.
    await ended;
    throw LameduckError.from(error);
  }
  if (phaseNow() !== 'serving') {
    // SIGTERM or a preStop call during start-up: not a failure, and the exit code is the shutdown's.
    const { trigger } = await ended;
    throw new LameduckError(
      'aborted',
      `lifecycle: run(): the shutdown (${trigger}) began before the service was serving`,
    );
  }
}
