/**
 * Writing log lines to the process's standard output without ever failing the process: a reader
 * that goes away (`node app.js | head`) makes every later write fail with EPIPE, which an
 * unhandled stream error turns into a crash mid-drain. Logging must never take the drain down.
 */

/** Where {@link createLineWriter} writes, and where it turns when that fails. */
export interface LineWriterStreams {
  /** Where lines go. */
  primary: NodeJS.WritableStream;
  /** Where the notice and the later lines go once `primary` has failed. */
  fallback: NodeJS.WritableStream;
}

/**
 * A line writer that, when `primary` fails (EPIPE, a closed file), says so once on `fallback`
 * and writes every later line there; when `fallback` fails too, it drops lines. It never throws
 * and leaves no stream error unhandled.
 */
export function createLineWriter(streams: LineWriterStreams): (line: string) => void {
  let target: NodeJS.WritableStream | undefined = streams.primary;
  const onPrimaryError = (error: NodeJS.ErrnoException): void => {
    if (target !== streams.primary) return;
    target = streams.fallback;
    write(
      `lameduck: standard output is closed (${error.code ?? error.message}); log lines go to standard error from now on\n`,
    );
  };
  const onFallbackError = (): void => {
    target = undefined;
  };
  streams.primary.on('error', onPrimaryError);
  streams.fallback.on('error', onFallbackError);
  const write = (line: string): void => {
    const stream = target;
    if (stream === undefined) return;
    try {
      stream.write(line);
    } catch (error) {
      // A stream destroyed earlier throws rather than emitting.
      if (stream === streams.primary) onPrimaryError(error as NodeJS.ErrnoException);
      else onFallbackError();
    }
  };
  return write;
}

let stdoutWriter: ((line: string) => void) | undefined;

/**
 * Writes `line` to standard output through one {@link createLineWriter} for the process, made at
 * the first line: every logger shares it, so the notice comes once.
 */
export function writeStdoutLine(line: string): void {
  stdoutWriter ??= createLineWriter({ primary: process.stdout, fallback: process.stderr });
  stdoutWriter(line);
}
