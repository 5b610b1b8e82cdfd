import type { LifecycleEvent } from './lifecycle-events.js';
import type { Logger } from './logger.js';

const messages: Record<LifecycleEvent['type'], string> = {
  'config-invalid': 'configuration cannot work',
  'admin-listening': 'admin server listening',
  'phase-changed': 'phase changed',
  'participant-started': 'participant started',
  'shutdown-started': 'shutdown started',
  'trigger-joined': 'shutdown already under way; trigger joined it',
  'prestop-refused':
    'prestop refused: caller is not loopback, the node, or allow-listed (more refusals are counted, one line per interval)',
  'prestop-refusals-counted':
    'prestop refused again: callers not loopback, the node, or allow-listed',
  'lame-duck-started': 'lame-duck wait started',
  'lame-duck-ended': 'lame-duck wait over',
  'connections-nudged': 'asked established connections to move away',
  'participant-stopped': 'participant stopped',
  'participant-failed': 'participant failed',
  'uncaught-error': 'uncaught error during shutdown',
  stopped: 'stopped',
  'forced-exit': 'forced exit',
  'exit-deferred':
    'drained after the preStop hook: exiting at the SIGTERM the kubelet sends next (or when the budget ends); a repeated hook call is answered meanwhile',
};

/** Writes one lifecycle event as one structured log line, at the level its outcome deserves. */
export function logEvent(logger: Logger, event: LifecycleEvent): void {
  const message = messages[event.type];
  const { type, ...rest } = event;
  const fields = { event: type, ...rest };
  switch (event.type) {
    case 'config-invalid':
    case 'participant-failed':
    case 'uncaught-error':
    case 'forced-exit':
      logger.error(fields, message);
      return;
    case 'prestop-refused':
    case 'prestop-refusals-counted':
      logger.warn(fields, message);
      return;
    case 'lame-duck-started':
      logger.info(fields, lameDuckStartedMessage(event));
      return;
    case 'participant-stopped':
      if (event.forced) logger.warn(fields, `${message}: work was forced`);
      else if (event.cutShort.length > 0) logger.warn(fields, `${message}: work was cut short`);
      else logger.info(fields, message);
      return;
    case 'stopped':
      if (event.exitCode === 0) logger.info(fields, message);
      else logger.warn(fields, `${message} with exit code 1`);
      return;
    default:
      logger.info(fields, message);
  }
}

/** Says how long the wait may take, or why there is none, so the process never looks hung. */
function lameDuckStartedMessage(event: Extract<LifecycleEvent, { type: 'lame-duck-started' }>) {
  if (event.skipped !== undefined) return `lame-duck wait skipped, draining now: ${event.skipped}`;
  return (
    `lame-duck wait started: serving on for ${event.minWaitMs} to ${event.maxWaitMs} ms, until ` +
    `no request has arrived for ${event.quietPeriodMs} ms`
  );
}
