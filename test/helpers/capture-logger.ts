import type { Logger } from '../../src/log/logger.js';
import { TEST_TIMEOUT_MS } from './timeouts.js';

/** One captured log record: the fields, the level and the message. */
export type LogRecord = Record<string, unknown> & { level: string; msg: string };

/** A logger that keeps every record, and lets a test wait for one. */
export interface CaptureLogger extends Logger {
  readonly records: LogRecord[];
  /** Resolves with the first record (past or future, from index `from`) matching `predicate`. */
  waitFor(
    predicate: (r: LogRecord) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<LogRecord>;
}

/** Makes a {@link CaptureLogger}. */
export function createCaptureLogger(): CaptureLogger {
  const records: LogRecord[] = [];
  const waiters = new Set<() => void>();
  const write = (level: string) => (fields: object, msg?: string) => {
    records.push({ ...(fields as Record<string, unknown>), level, msg: msg ?? '' });
    for (const wake of waiters) wake();
  };
  return {
    records,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    waitFor(predicate, { from = 0, timeoutMs = TEST_TIMEOUT_MS } = {}) {
      return new Promise<LogRecord>((resolve, reject) => {
        const check = (): void => {
          const found = records.slice(from).find(predicate);
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `capture-logger: no matching record within ${timeoutMs} ms; got:\n${records.map((r) => JSON.stringify(r)).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
