import { assertKnownOptions } from '../options/option-check.js';
import { writeStdoutLine } from './line-writer.js';

/**
 * The logging interface lameduck writes to: a subset of pino's, so a pino logger can be passed
 * as it is. Each call gets an object of fields first and a message second.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** Log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelRank: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** The least severe level written. Default: `'info'`. */
  level: LogLevel;
  /**
   * Where each line goes. Default: standard output; once it fails (its reader went away:
   * EPIPE), one notice and the later lines go to standard error (see `line-writer.ts`).
   */
  write: (line: string) => void;
  /** Fields added to every line. Default: `{}`. */
  base: Record<string, unknown>;
}

/** Defaults of {@link JsonLoggerOptions}. */
export const jsonLoggerDefaults: JsonLoggerOptions = {
  level: 'info',
  write: writeStdoutLine,
  base: {},
};

/**
 * A logger that writes one JSON object per line (`level`, `time`, `msg`, then the fields), the
 * shape log collectors expect. Errors in fields are written as `{ name, message, code }`, so that
 * a `cause` carrying credentials is never serialised.
 */
export function createJsonLogger(options: Partial<JsonLoggerOptions> = {}): Logger {
  assertKnownOptions('logger', options, Object.keys(jsonLoggerDefaults));
  const { level, write, base } = { ...jsonLoggerDefaults, ...options };
  const threshold = levelRank[level];
  const log =
    (lineLevel: LogLevel) =>
    (fields: object, message?: string): void => {
      if (levelRank[lineLevel] < threshold) return;
      const line = {
        level: lineLevel,
        time: new Date().toISOString(),
        ...(message === undefined ? {} : { msg: message }),
        ...base,
        ...fields,
      };
      write(`${JSON.stringify(line, replaceErrors)}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}
