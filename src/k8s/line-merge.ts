/**
 * Carries an edit made to a printer's rendering of a file over to the file as written, so that
 * every line the edit did not touch keeps its bytes. Pure.
 */
import { err, ok, type Result } from '../errors/lameduck-error.js';
import { commonLines } from './line-diff.js';

/** Past this many differing lines, two texts are not lined up (and a fix is refused). */
const maxDifferingLines = 2000;

/** A line of the file as written that an edit would rewrite although no fix touched it. */
export interface MergeConflict {
  /** The line, counted from 1, in the file as written. */
  readonly line: number;
  /** That line as written (without its line end); empty past the end. */
  readonly text: string;
}

/**
 * `original` with the change from `base` to `edited` applied, where `base` and `edited` are the
 * same printer's renderings of `original`'s data before and after an edit.
 *
 * The lines of `original` are lined up with `base`'s: equal lines, and between them runs of as
 * many lines on both sides, which the printer rewrote in place (`0644` as `644`). The change may
 * replace a line of `original` that the printer writes as it is, or one for which
 * `replaceable(index)` says that all of it belongs to what the edit removed (a replaced node);
 * its insertions must fall between two lined-up lines (or after blank lines the printer drops,
 * such as trailing ones). Anything else would rewrite bytes no edit touched: the conflict is
 * returned, with the first line at stake. An `original` whose last line has no line end gives a
 * result without one too.
 */
export function mergeLineEdit(
  original: string,
  base: string,
  edited: string,
  replaceable: (originalIndex: number) => boolean,
): Result<string, MergeConflict> {
  // A last line without a line end would differ from the printer's: compare it with one.
  const endless = original.length > 0 && !original.endsWith('\n');
  const lineEnd = original.includes('\r\n') ? '\r\n' : '\n';
  const originalLines = splitLines(endless ? `${original}${lineEnd}` : original);
  const baseLines = splitLines(base);
  const editedLines = splitLines(edited);
  const conflictAt = (index: number): Result<never, MergeConflict> =>
    err({ line: index + 1, text: (originalLines[index] ?? '').replace(/\r?\n$/, '') });
  const alignment = align(originalLines, baseLines);
  const edits = commonLines(baseLines, editedLines, maxDifferingLines);
  if (alignment === undefined || edits === undefined) return conflictAt(0);

  const merged: string[] = [];
  let copiedUpTo = 0;
  for (const hunk of hunksOf(edits, baseLines.length, editedLines.length)) {
    const span = placeHunk(hunk, alignment, originalLines, replaceable);
    if (!span.ok) return conflictAt(span.error);
    const [start, end] = span.value;
    merged.push(
      ...originalLines.slice(copiedUpTo, start),
      ...editedLines.slice(hunk.edited[0], hunk.edited[1]),
    );
    copiedUpTo = end;
  }
  merged.push(...originalLines.slice(copiedUpTo));
  const text = merged.join('');
  return ok(endless && text.endsWith(lineEnd) ? text.slice(0, -lineEnd.length) : text);
}

/** How the lines of `base` stand for lines of the original. */
interface Alignment {
  /** The original line that base line `index` is or stands for; -1 for none (or before the start), the original's length past the end. */
  originalOf(index: number): number;
  /** Whether base line `index` is its original line byte for byte. */
  isSame(index: number): boolean;
}

function align(
  originalLines: readonly string[],
  baseLines: readonly string[],
): Alignment | undefined {
  const common = commonLines(originalLines, baseLines, maxDifferingLines);
  if (common === undefined) return undefined;
  const originalIndex = new Array<number>(baseLines.length).fill(-1);
  const same = new Array<boolean>(baseLines.length).fill(false);
  let previous: readonly [number, number] = [-1, -1];
  for (const next of [...common, [originalLines.length, baseLines.length] as const]) {
    const gap = next[1] - previous[1] - 1;
    if (gap > 0 && next[0] - previous[0] - 1 === gap) {
      for (let step = 1; step <= gap; step += 1)
        originalIndex[previous[1] + step] = previous[0] + step;
    }
    if (next[1] < baseLines.length) {
      originalIndex[next[1]] = next[0];
      same[next[1]] = true;
    }
    previous = next;
  }
  return {
    originalOf: (index) =>
      index < 0
        ? -1
        : index >= baseLines.length
          ? originalLines.length
          : (originalIndex[index] ?? -1),
    isSame: (index) => same[index] ?? false,
  };
}

/** Lines `[start, end)` of `base` that become lines `[start, end)` of `edited`. */
interface Hunk {
  base: readonly [number, number];
  edited: readonly [number, number];
}

function hunksOf(
  common: ReadonlyArray<readonly [number, number]>,
  baseLength: number,
  editedLength: number,
): Hunk[] {
  const hunks: Hunk[] = [];
  let previous: readonly [number, number] = [-1, -1];
  for (const next of [...common, [baseLength, editedLength] as const]) {
    if (next[0] > previous[0] + 1 || next[1] > previous[1] + 1) {
      hunks.push({ base: [previous[0] + 1, next[0]], edited: [previous[1] + 1, next[1]] });
    }
    previous = next;
  }
  return hunks;
}

/**
 * Where `hunk` goes in the original, as lines `[start, end)` it replaces; the error is the
 * index of the original line that makes it ambiguous or that it would rewrite.
 */
function placeHunk(
  { base: [from, to] }: Hunk,
  { originalOf, isSame }: Alignment,
  originalLines: readonly string[],
  replaceable: (originalIndex: number) => boolean,
): Result<readonly [number, number], number> {
  // The original line after the last line before base line `index` that stands for one.
  const nearest = (index: number): number => {
    let lined = index - 1;
    while (lined >= 0 && originalOf(lined) < 0) lined -= 1;
    return lined < 0 ? 0 : originalOf(lined) + 1;
  };
  if (from < to) {
    const start = originalOf(from);
    for (let index = from; index < to; index += 1) {
      const line = originalOf(index);
      if (start < 0 || line !== start + index - from || (!isSame(index) && !replaceable(line))) {
        return err(nearest(index));
      }
    }
    return ok([start, start + to - from]);
  }
  const before = originalOf(from - 1);
  const after = originalOf(from);
  const between = originalLines.slice(before + 1, after);
  if ((from > 0 && before < 0) || after < 0 || !between.every((line) => line.trim() === '')) {
    return err(nearest(from));
  }
  return ok([after, after]);
}

/** `text`'s lines, each with its line end. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
