import type { EventEmitter } from 'node:events';
import { LameduckError } from '../errors/lameduck-error.js';

/**
 * Waits for the application's `listen()` on `server`: resolves once it listens (at once if it
 * already does), rejects with `unavailable` naming the server when listening fails, and with the
 * signal's reason when `signal` aborts first (a shutdown during start-up).
 */
export function whenListening(
  server: EventEmitter & { readonly listening: boolean },
  name: string,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (server.listening) return undefined;
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown): void => {
      server.off('listening', onListening);
      server.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onListening = (): void => settle();
    const onError = (error: Error): void =>
      settle(
        new LameduckError(
          'unavailable',
          `http: server '${name}' failed to listen: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    const onAbort = (): void => settle(signal.reason);
    server.once('listening', onListening);
    server.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
