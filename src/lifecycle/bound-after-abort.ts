import { LameduckError } from '../errors/lameduck-error.js';
import type { Clock } from './clock.js';

/**
 * Waits for a participant's stop, but no longer than `graceMs` after `signal` aborts: a
 * participant that ignores the deadline is reported, not waited for.
 */
export function boundAfterAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  graceMs: number,
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
  name: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: unknown;
    const onAbort = (): void => {
      timer = clock.setTimeout(() => {
        reject(
          new LameduckError(
            'deadline_exceeded',
            `lifecycle: participant '${name}' did not stop within ${graceMs} ms after the budget ended`,
          ),
        );
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
