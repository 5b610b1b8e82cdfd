/** Keeps the last lines of a child process's output, for error messages. */
export interface StderrTail {
  /** Appends a chunk; a line that has not ended yet is kept until its newline arrives. */
  write(chunk: string): void;
  /** The kept lines, oldest first, including an unfinished last line. */
  lines(): string[];
  /** The kept lines joined with newlines; empty when nothing was written. */
  text(): string;
}

/**
 * Creates a bounded line buffer: it keeps the last `maxLines` complete lines (plus the line
 * still being written), so a chatty process cannot grow memory without bound. Lines longer than
 * `maxLineChars` are cut and marked with `…`.
 */
export function createStderrTail(maxLines: number, maxLineChars = 2_000): StderrTail {
  const ring: string[] = [];
  let next = 0;
  let partial = '';
  const clip = (line: string) =>
    line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line;
  const push = (line: string) => {
    if (maxLines <= 0) return;
    if (ring.length < maxLines) ring.push(clip(line));
    else ring[next] = clip(line);
    next = (next + 1) % maxLines;
  };
  const lines = () => {
    const ordered =
      ring.length < maxLines ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)];
    return partial === '' ? ordered : [...ordered, clip(partial)];
  };
  return {
    write(chunk) {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      // An unfinished line must not grow without bound either.
      if (partial.length > maxLineChars) partial = partial.slice(0, maxLineChars + 1);
      for (const line of parts) push(line.endsWith('\r') ? line.slice(0, -1) : line);
    },
    lines,
    text: () => lines().join('\n'),
  };
}
