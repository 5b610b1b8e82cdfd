/**
 * What a fix changed in a file's text, line by line, for `lint --fix` to show: each run of lines
 * it replaced, with the lines before and after. Pure.
 */
import { commonLines } from './line-diff.js';

/** One run of changed lines. */
export interface TextChange {
  /** The first line of the run, counted from 1, in the text before (where an insertion goes). */
  line: number;
  /** The lines before, without their line ends. */
  removed: string[];
  /** The lines after. */
  added: string[];
}

// A fix edits a few lines; past this the texts are not lined up and the change is shown whole.
const maxChangedLines = 2000;

/** The runs of lines that differ between `before` and `after`, in order. */
export function textChanges(before: string, after: string): TextChange[] {
  const a = before.split(/\r?\n/);
  const b = after.split(/\r?\n/);
  const common = commonLines(a, b, maxChangedLines) ?? [];
  const changes: TextChange[] = [];
  let previous: readonly [number, number] = [-1, -1];
  for (const next of [...common, [a.length, b.length] as const]) {
    if (next[0] > previous[0] + 1 || next[1] > previous[1] + 1) {
      changes.push({
        line: previous[0] + 2,
        removed: a.slice(previous[0] + 1, next[0]),
        added: b.slice(previous[1] + 1, next[1]),
      });
    }
    previous = next;
  }
  return changes;
}

/**
 * A fix as `lint --fix` reports it: `file:line rule: description`, then each changed run as
 * `- before` and `+ after` lines, indented.
 */
export function formatAppliedFix(
  file: string,
  ruleId: string,
  description: string,
  changes: readonly TextChange[],
): string {
  const [first] = changes;
  const header = `${file}:${first?.line ?? 1} ${ruleId}: ${description}`;
  const body = changes.flatMap((change) => [
    ...change.removed.map((line) => `    - ${line}`),
    ...change.added.map((line) => `    + ${line}`),
  ]);
  return [header, ...body].join('\n');
}
