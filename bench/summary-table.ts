/** The summary table `bench/run.ts` prints: one row per figure, every benchmark in one table. */
import type { SummaryRow } from './benchmark.js';

/** One benchmark's part of the table. */
export interface SummarySection {
  name: string;
  labels: { subject: string; baseline: string };
  rows: readonly SummaryRow[];
}

const headers = ['benchmark', 'metric', 'subject', 'baseline', 'ratio', 'goal'] as const;

/** Formats a figure: whole numbers from 100 up, two decimals below (sub-ms latencies). */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** Formats a ratio: blank when there is none, `n/a` when the baseline was 0 (as in 0 failures). */
function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '';
  return Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a';
}

function goalCell(row: SummaryRow): string {
  if (row.meetsGoal === undefined) return '';
  return `${row.goal} ${row.meetsGoal ? 'met' : 'MISSED'}`;
}

/** The table as text: a legend naming each benchmark's subject and baseline, then the rows. */
export function formatSummaryTable(sections: readonly SummarySection[]): string {
  const cells: string[][] = [];
  for (const section of sections) {
    for (const [index, row] of section.rows.entries()) {
      cells.push([
        index === 0 ? section.name : '',
        row.metric,
        formatFigure(row.value),
        formatFigure(row.baseline),
        formatRatio(row.ratio),
        goalCell(row),
      ]);
    }
  }
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((line) => line[column]?.length ?? 0)),
  );
  // Text columns align left, figures right, as in any spreadsheet.
  const isText = (column: number): boolean => column < 2 || column === 5;
  const format = (line: readonly string[]): string =>
    line
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return isText(column) ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const legend = sections.map(
    (s) => `${s.name}: subject = ${s.labels.subject}; baseline = ${s.labels.baseline}`,
  );
  const rule = '-'.repeat(widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1));
  return [...legend, '', format(headers), rule, ...cells.map(format)].join('\n');
}
