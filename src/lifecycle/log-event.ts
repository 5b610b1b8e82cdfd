import type { Logger } from '../log/logger.js';
import type { LifecycleEvent } from './lifecycle-events.js';

type EventOf<T extends LifecycleEvent['type']> = Extract<LifecycleEvent, { type: T }>;

/**
 * Each event's `msg`: a sentence that says what happened and, where the reader has something to
 * do or to know next, what. The event's fields carry the figures for machines; `event` its id.
 */
const messages: { [T in LifecycleEvent['type']]: (event: EventOf<T>) => string } = {
  'config-invalid': (e) => `lameduck refuses to start: ${e.error.rawMessage}`,
  'admin-listening': (e) =>
    `admin server listening on ${e.host}:${e.port} (/readyz, /livez, /metrics, /lameduck/prestop)`,
  'phase-changed': (e) => `phase changed from ${e.from} to ${e.to}`,
  'participant-started': (e) => `participant '${e.name}' started in ${e.durationMs} ms`,
  'shutdown-started': (e) =>
    `shutdown started by ${e.trigger}: ${e.budgetMs} ms to finish, within the grace period of ${e.gracePeriodSeconds} s`,
  'trigger-joined': (e) =>
    `${e.trigger} arrived while the shutdown was under way (${e.phase}); nothing more to do`,
  'prestop-refused': () =>
    '/lameduck/prestop refused: the caller is not loopback, the node (HOST_IP) or in LAMEDUCK_PRESTOP_ALLOW; later refusals are counted, one line per interval',
  'prestop-refusals-counted': (e) =>
    `/lameduck/prestop refused ${e.refusedCount} more times from ${e.addressCount} addresses not loopback, the node or allow-listed`,
  'lame-duck-started': (e) =>
    e.skipped === undefined
      ? `lame-duck wait started: serving on for ${e.minWaitMs} to ${e.maxWaitMs} ms, until no request has arrived for ${e.quietPeriodMs} ms`
      : `lame-duck wait skipped, draining now: ${e.skipped}`,
  'lame-duck-ended': (e) =>
    `lame-duck wait over after ${e.waitedMs} ms (${e.reason === 'max-wait' ? 'the longest wait passed' : e.reason === 'quiet' ? 'traffic went quiet' : 'skipped'}): draining`,
  'connections-nudged': (e) =>
    `asked established connections to move away, ${e.afterMs} ms into lame duck`,
  'participant-stopped': (e) =>
    e.forced
      ? `participant '${e.name}' stopped in ${e.durationMs} ms, cutting off work when the budget ran out (forcedWork lists it)`
      : e.cutShort.length > 0
        ? `participant '${e.name}' stopped in ${e.durationMs} ms; work that outlived its grace was cut short (cutShort lists it)`
        : `participant '${e.name}' stopped in ${e.durationMs} ms`,
  'participant-failed': (e) => e.error.rawMessage,
  'uncaught-error': (e) =>
    `uncaught error during the shutdown; the drain goes on and the exit code will be 1: ${e.error.rawMessage}`,
  stopped: (e) =>
    e.exitCode === 0
      ? `stopped in ${e.shutdownMs} ms: everything drained, exit code 0`
      : `stopped in ${e.shutdownMs} ms with exit code 1: work was forced or a participant failed (see the lines above)`,
  'forced-exit': (e) =>
    e.reason === 'second-signal'
      ? `second ${e.signal ?? 'signal'}: exiting at once with code 1, without finishing the drain`
      : 'forced closes outlasted half the safety margin after the budget: exiting with code 1',
  'exit-deferred': (e) =>
    `drained after the preStop hook: exiting at the SIGTERM the kubelet sends next, or in ${e.maxWaitMs} ms when the budget ends; a repeated hook call is answered meanwhile`,
};

/** Writes one lifecycle event as one structured log line, at the level its outcome deserves. */
export function logEvent(logger: Logger, event: LifecycleEvent): void {
  const message = (messages[event.type] as (e: LifecycleEvent) => string)(event);
  const { type, ...rest } = event;
  const fields = { event: type, ...rest };
  logger[levelOf(event)](fields, message);
}

function levelOf(event: LifecycleEvent): 'info' | 'warn' | 'error' {
  switch (event.type) {
    case 'config-invalid':
    case 'participant-failed':
    case 'uncaught-error':
    case 'forced-exit':
      return 'error';
    case 'prestop-refused':
    case 'prestop-refusals-counted':
      return 'warn';
    case 'participant-stopped':
      return event.forced || event.cutShort.length > 0 ? 'warn' : 'info';
    case 'stopped':
      return event.exitCode === 0 ? 'info' : 'warn';
    default:
      return 'info';
  }
}
