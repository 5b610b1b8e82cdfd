import { LameduckError } from '../errors/lameduck-error.js';
import type { Clock } from './clock.js';

/**
 * Waits for `work`, but not past `deadlineAtMs` (clock time): late work is reported as a
 * `deadline_exceeded` error saying `what`, and left to finish on its own. One absolute deadline,
 * so that several late participants in a row share it instead of each getting a fresh grace.
 * Work already settled when called wins even when the deadline has passed.
 */
export function settleBy<T>(
  work: Promise<T>,
  deadlineAtMs: number,
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(
      () => reject(new LameduckError('deadline_exceeded', `lifecycle: ${what}`)),
      Math.max(0, deadlineAtMs - clock.now()),
    );
    work.then(resolve, reject).finally(() => clock.clearTimeout(timer));
  });
}
