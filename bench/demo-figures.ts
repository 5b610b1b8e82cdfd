/**
 * The demo's headline figures, measured in one run of `make demo`'s drills (built the same way,
 * into dist-demo/): failed calls per mode, scenario and path, and the rolling update's speed,
 * the write-up's fix (preStop sleep 15, graceful stop with no deadline) over lameduck. Goal:
 * lameduck's rollout at least 5 times faster.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ScenarioSummary } from '../src/drill/report/scenario-summary.js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { roundTo } from './stats.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../', import.meta.url));

async function runDemoFigures(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const out = await mkdtemp(path.join(tmpdir(), 'lameduck-demo-bench-'));
  try {
    await run(
      process.execPath,
      [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.demo.json'],
      {
        cwd: repo,
        signal,
      },
    );
    await cp(
      path.join(repo, 'examples/passport/passport.proto'),
      path.join(repo, 'dist-demo/examples/passport/passport.proto'),
    );
    const startedAtMs = performance.now();
    const demo = await run(
      process.execPath,
      ['dist-demo/examples/passport/demo.js', '--out', out],
      {
        cwd: repo,
        signal,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const demoMs = Math.round(performance.now() - startedAtMs);
    log(demo.stdout.trim().split('\n').slice(0, 26).join('\n'));
    const { modes } = JSON.parse(await readFile(path.join(out, 'demo.json'), 'utf8')) as {
      modes: Array<{ mode: string; summaries: ScenarioSummary[] }>;
    };
    const failed: Record<string, number> = {};
    const sent: Record<string, number> = {};
    for (const { mode, summaries } of modes) {
      for (const s of summaries) {
        failed[`${mode} ${s.name} ${s.path}`] = s.failed;
        sent[`${mode} ${s.name} ${s.path}`] = s.sent;
      }
    }
    const rolloutOf = (mode: string) =>
      modes.find((m) => m.mode === mode)?.summaries.find((s) => s.name === 'rolling-update')
        ?.rolloutMs ?? Number.NaN;
    const lameduckMs = rolloutOf('lameduck');
    const seedFixMs = rolloutOf('seed-fix');
    const naiveMs = rolloutOf('naive');
    const totalFailed = (mode: string) =>
      Object.entries(failed)
        .filter(([key]) => key.startsWith(`${mode} `))
        .reduce((sum, [, n]) => sum + n, 0);
    return {
      labels: { subject: 'lameduck mode', baseline: 'seed-fix mode (the write-up’s fix)' },
      parameters: { demoMs, command: 'node dist-demo/examples/passport/demo.js' },
      figures: {
        failed,
        sent,
        rolloutMs: { naive: naiveMs, seedFix: seedFixMs, lameduck: lameduckMs },
      },
      baseline: {},
      ratios: { rolloutSpeedSeedFixOverLameduck: roundTo(seedFixMs / lameduckMs, 2) },
      rows: [
        summaryRow('rolling update (ms): seed-fix / lameduck', seedFixMs, lameduckMs, {
          goal: { text: '>= 5', isMet: (ratio) => ratio >= 5 },
        }),
        summaryRow(
          'failed calls, all scenarios and paths: lameduck, seed-fix',
          totalFailed('lameduck'),
          totalFailed('seed-fix'),
          {
            hasRatio: false,
          },
        ),
        summaryRow(
          'failed calls, all scenarios and paths: naive (its own column)',
          totalFailed('naive'),
          totalFailed('naive'),
          {
            hasRatio: false,
          },
        ),
        summaryRow('whole demo (ms)', demoMs, 300_000, {
          goal: { text: '< 300,000 ms', isMet: (ratio) => ratio < 1 },
        }),
      ],
      notes: [
        'Each rollout runs until every new pod is available and every old pod has exited; the seed-fix pods wait out their 15 s sleep, then a graceful stop that the open session streams hold until SIGKILL at 30 s.',
        'Failed calls on the Service path in node-crash and node-hang are lost by any server: only callers that detect dead servers (the etcd path with lameduck’s client) avoid them.',
      ],
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'demo-figures',
  description:
    "make demo's headline figures: failed calls per mode, scenario and path, and the rollout speed of the write-up's fix against lameduck",
  timeoutMs: 420_000,
  run: runDemoFigures,
};
