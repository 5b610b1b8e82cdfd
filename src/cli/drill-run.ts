import { writeFile } from 'node:fs/promises';
import { type DrillCliOptions, parseDrillOptions } from '../drill/drill-options.js';
import { renderHtmlReport } from '../drill/report/html-report.js';
import { type ScenarioSummary, summarizeScenario } from '../drill/report/scenario-summary.js';
import { formatComparison, formatProgress, formatScenario } from '../drill/report/text-report.js';
import { runScenario } from '../drill/runtime/run-scenario.js';
import { LameduckError } from '../errors/lameduck-error.js';
import { loadManifest } from '../k8s/manifest-loader.js';
import { onInterrupt } from '../lifecycle/interrupts.js';
import { readManifestFiles } from './read-manifest-files.js';

/** Runs `lameduck drill`; resolves with its exit code (0, 1 when a call failed, 2 bad input). */
export async function runDrill(
  targets: readonly string[],
  flags: DrillCliOptions,
): Promise<number> {
  const controller = new AbortController();
  const stopListening = onInterrupt((signal) => {
    process.stderr.write(`\nlameduck drill: ${signal}: stopping every process it started\n`);
    controller.abort(new LameduckError('aborted', `drill: interrupted (${signal})`));
  });
  const live = process.stderr.isTTY === true;
  let lastPlainAtMs = 0;
  try {
    const { files, unreadable } = await readManifestFiles(targets, (message) =>
      process.stderr.write(`lameduck drill: ${message}\n`),
    );
    if (unreadable) return 2;
    const parsed = parseDrillOptions(
      files.map((f) => loadManifest(f.file, f.text)),
      flags,
      process.env,
    );
    if (!parsed.ok) {
      process.stderr.write(`lameduck ${parsed.error.rawMessage}\n`);
      return 2;
    }
    const { scenarios, run } = parsed.value;
    const summaries: ScenarioSummary[] = [];
    for (const scenario of scenarios) {
      const frame = await runScenario(scenario, {
        ...run,
        signal: controller.signal,
        progress: (progress) => {
          const line = formatProgress(progress);
          if (live) process.stderr.write(`\r\x1b[2K${line}`);
          else if (
            progress.elapsedMs - lastPlainAtMs >= 2000 ||
            progress.elapsedMs < lastPlainAtMs
          ) {
            lastPlainAtMs = progress.elapsedMs;
            process.stderr.write(`${line}\n`);
          }
        },
      });
      if (live) process.stderr.write('\r\x1b[2K');
      for (const path of run.paths) {
        const summary = summarizeScenario(frame, path);
        summaries.push(summary);
        process.stdout.write(`${formatScenario(summary)}\n\n`);
      }
    }
    process.stdout.write(`${formatComparison(summaries)}\n`);
    if (flags.json !== undefined) {
      await writeFile(flags.json, `${JSON.stringify({ scenarios: summaries }, null, 1)}\n`);
    }
    if (flags.report !== undefined) {
      await writeFile(
        flags.report,
        renderHtmlReport({
          title: `lameduck drill: ${run.spec.workload.kind}/${run.spec.workload.name}`,
          lead: `${run.paths.join(' and ')} path, ${run.ratePerSecond} requests/s, ${run.nodeCount} nodes, seed ${run.seed}.`,
          columns: [
            { title: run.spec.workload.name, subtitle: `client: ${run.client}`, summaries },
          ],
          notes: [],
        }),
      );
      process.stdout.write(`report: ${flags.report}\n`);
    }
    return summaries.some((s) => s.failed > 0) ? 1 : 0;
  } catch (error) {
    if (live) process.stderr.write('\r\x1b[2K');
    const failure = LameduckError.from(error);
    process.stderr.write(`lameduck ${failure.rawMessage}\n`);
    if (failure.code === 'aborted') return 130;
    return failure.code === 'invalid_config' || failure.code === 'unavailable' ? 2 : 1;
  } finally {
    stopListening();
  }
}
