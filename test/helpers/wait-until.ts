import { TEST_TIMEOUT_MS } from './timeouts.js';

/**
 * Resolves once `condition()` holds, checking every few milliseconds; rejects after `timeoutMs`
 * with `what` in the message, or when `signal` aborts. For state that has no event of its own
 * (load counters, etcd contents).
 */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = TEST_TIMEOUT_MS,
  signal?: AbortSignal,
): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  while (!(await condition())) {
    signal?.throwIfAborted();
    if (performance.now() > deadlineMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
