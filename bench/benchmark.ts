/**
 * What a benchmark file exports and what `bench/run.ts` does with it: run it within its time
 * bound, print its rows in the summary table, and write its report to `bench/results/<name>.json`.
 */

/** One line of the summary table: a figure next to its baseline. */
export interface SummaryRow {
  /** What is measured, with its unit: `throughput (req/s)`. */
  metric: string;
  /** The figure for the subject (lameduck). */
  value: number;
  /** The same figure for the baseline. */
  baseline: number;
  /** `value / baseline`; `undefined` where the two are not comparable as a ratio. */
  ratio: number | undefined;
  /** The goal the ratio should meet, in words (`>= 0.97`), or `''` when there is none. */
  goal: string;
  /** Whether the ratio meets the goal; `undefined` when there is no goal. */
  meetsGoal: boolean | undefined;
}

/** What a benchmark reports; `bench/run.ts` adds the environment and writes it out. */
export interface BenchmarkReport {
  /** Names the subject and the baseline of every row, e.g. `{ subject: 'lameduck', ... }`. */
  labels: { subject: string; baseline: string };
  /** How it was run: durations, rates, counts. */
  parameters: Record<string, unknown>;
  /** The subject's figures (medians) and every run's raw figures. */
  figures: Record<string, unknown>;
  /** The baseline's figures, in the same shape as `figures`. */
  baseline: Record<string, unknown>;
  /** Subject over baseline, per figure. */
  ratios: Record<string, number>;
  /** The rows of the summary table. */
  rows: SummaryRow[];
  /** What a reader must know to trust the figures (noise, caveats, surprises). */
  notes: string[];
}

/** A benchmark file's export. */
export interface Benchmark {
  /** The file's stem; the results go to `bench/results/<name>.json`. */
  name: string;
  /** One sentence: what is compared with what. */
  description: string;
  /**
   * Upper bound on the wall time. The runner aborts `signal` after it; the benchmark must then
   * stop its load, kill its children and reject.
   */
  timeoutMs: number;
  /** Runs the benchmark. `log` prints progress lines. Children are killed before it settles. */
  run(signal: AbortSignal, log: (line: string) => void): Promise<BenchmarkReport>;
}

/** Options of {@link summaryRow}. */
export interface SummaryRowOptions {
  /** The goal the ratio should meet. Default: none. */
  goal?: { text: string; isMet: (ratio: number) => boolean };
  /**
   * Whether `value / baseline` means anything: not when the two measure different spans (the
   * baseline's SIGTERM comes after its preStop sleep). Default: true.
   */
  hasRatio?: boolean;
}

/** Builds a {@link SummaryRow}; the ratio is NaN when the baseline is 0. */
export function summaryRow(
  metric: string,
  value: number,
  baseline: number,
  options: SummaryRowOptions = {},
): SummaryRow {
  const { goal, hasRatio = true } = options;
  const ratio = !hasRatio ? undefined : baseline === 0 ? Number.NaN : value / baseline;
  return {
    metric,
    value,
    baseline,
    ratio,
    goal: goal?.text ?? '',
    meetsGoal: goal === undefined || ratio === undefined ? undefined : goal.isMet(ratio),
  };
}
