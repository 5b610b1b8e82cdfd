/**
 * `lameduck lint` over 1,000 Deployments, each with its Service and PodDisruptionBudget, in
 * 1,000 files: the whole command (process start included) and the linting alone, against the
 * floor of parsing the same YAML with `yaml` and doing nothing else. Goal: the command under 2 s.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { lintManifests } from '../src/k8s/lint.js';
import { loadManifest } from '../src/k8s/manifest-loader.js';
import { lintRules } from '../src/k8s/rules/index.js';
import { cleanLameduckManifest } from '../test/helpers/lint-kit.js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { median, roundTo } from './stats.js';

const workloadCount = 1000;
const rounds = 5;
const goalMs = 2000;
const cliPath = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);

/** The recommended manifest, renamed to `passport-<i>` so each file selects its own pods. */
function manifestNumber(index: number): string {
  return cleanLameduckManifest.replaceAll('passport', `passport-${index}`);
}

function timed(work: () => void): number {
  const startedAtMs = performance.now();
  work();
  return performance.now() - startedAtMs;
}

async function runLintManifests(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lameduck-lint-bench-'));
  try {
    const files = Array.from({ length: workloadCount }, (_, i) => ({
      file: path.join(dir, `passport-${i}.yaml`),
      text: manifestNumber(i),
    }));
    await Promise.all(files.map(({ file, text }) => writeFile(file, text)));
    const commandMs: number[] = [];
    const lintMs: number[] = [];
    const parseMs: number[] = [];
    let findingCount = 0;
    for (let round = 0; round < rounds; round += 1) {
      signal.throwIfAborted();
      const startedAtMs = performance.now();
      // tsx compiles the sources on the fly: this includes that, which dist/ users do not pay.
      await run(process.execPath, ['--import', 'tsx', cliPath, 'lint', '--format', 'json', dir], {
        signal,
        maxBuffer: 64 * 1024 * 1024,
      });
      commandMs.push(performance.now() - startedAtMs);
      parseMs.push(
        timed(() => {
          for (const { text } of files) parseAllDocuments(text);
        }),
      );
      lintMs.push(
        timed(() => {
          const manifests = files.map(({ file, text }) => loadManifest(file, text));
          const report = lintManifests(manifests, {
            rules: lintRules,
            disabled: new Set(),
            settings: { k8sVersion: [1, 35] },
          });
          findingCount = report.findings.length;
        }),
      );
      log(
        `round ${round + 1}: command ${Math.round(commandMs.at(-1) ?? 0)} ms, lint ${Math.round(lintMs.at(-1) ?? 0)} ms, parse only ${Math.round(parseMs.at(-1) ?? 0)} ms`,
      );
    }
    const figures = {
      commandMs: roundTo(median(commandMs), 1),
      lintMs: roundTo(median(lintMs), 1),
      findingCount,
    };
    const baseline = { parseOnlyMs: roundTo(median(parseMs), 1) };
    return {
      labels: { subject: 'lameduck lint', baseline: 'yaml parse only' },
      parameters: { workloadCount, objectsPerWorkload: 3, files: workloadCount, rounds },
      figures: { ...figures, runs: { commandMs, lintMs } },
      baseline: { ...baseline, runs: { parseMs } },
      ratios: { lintOverParse: roundTo(figures.lintMs / baseline.parseOnlyMs, 3) },
      rows: [
        summaryRow('whole command, 1,000 workloads (ms)', figures.commandMs, goalMs, {
          goal: { text: `< ${goalMs} ms`, isMet: (ratio) => ratio < 1 },
        }),
        summaryRow('read + lint in process (ms)', figures.lintMs, baseline.parseOnlyMs),
      ],
      notes: [
        'The command row compares with the 2 s goal, not with a run: its "baseline" column is the goal.',
        'The command runs from TypeScript through tsx, so it includes compiling the CLI; the built dist/ starts faster.',
        `The recommended manifest gives no finding; ${findingCount} findings were reported in total.`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'lint-manifests',
  description: 'lameduck lint over 1,000 Deployments with Services and PDBs, against parsing alone',
  timeoutMs: 120_000,
  run: runLintManifests,
};
