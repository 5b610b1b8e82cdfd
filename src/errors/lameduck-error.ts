/**
 * The closed set of error codes lameduck reports. Each names what went wrong, not where.
 *
 * - `invalid_config`: an option or environment variable has a value that cannot work.
 * - `invalid_state`: a method was called in a phase where it is not allowed.
 * - `deadline_exceeded`: the shutdown budget ran out before the work finished.
 * - `participant_failed`: a participant's start or stop rejected.
 * - `unavailable`: a dependency (etcd, a port) could not be reached or started.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `internal`: anything else; a bug report is welcome.
 */
export type LameduckErrorCode =
  | 'invalid_config'
  | 'invalid_state'
  | 'deadline_exceeded'
  | 'participant_failed'
  | 'unavailable'
  | 'aborted'
  | 'internal';

/**
 * The one error type lameduck throws. Its message is prefixed with `[code]`; the original error,
 * when there is one, is kept in `cause`.
 */
export class LameduckError extends Error {
  override readonly name = 'LameduckError';
  /** What went wrong, from a closed set. */
  readonly code: LameduckErrorCode;
  /** The message without the `[code]` prefix. */
  readonly rawMessage: string;

  constructor(code: LameduckErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[${code}] ${message}`, options);
    this.code = code;
    this.rawMessage = message;
  }

  /**
   * Normalises anything thrown into a `LameduckError`: a `LameduckError` is returned as it is, an
   * abort becomes `aborted` (or `deadline_exceeded` when the reason says so), anything else
   * becomes `fallbackCode` with the original in `cause`.
   */
  static from(reason: unknown, fallbackCode: LameduckErrorCode = 'internal'): LameduckError {
    if (reason instanceof LameduckError) return reason;
    if (reason instanceof Error && reason.name === 'AbortError') {
      return new LameduckError('aborted', reason.message, { cause: reason });
    }
    if (reason instanceof Error) {
      return new LameduckError(fallbackCode, reason.message, { cause: reason });
    }
    return new LameduckError(fallbackCode, String(reason), { cause: reason });
  }
}

/** A parse or validation outcome: parsers and rules return this instead of throwing. */
export type Result<T, E = LameduckError> = { ok: true; value: T } | { ok: false; error: E };

/** Wraps a value as a successful {@link Result}. */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/** Wraps an error as a failed {@link Result}. */
export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}
