import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type DrillCliOptions, parseDrillOptions } from '../drill/drill-options.js';
import { renderHtmlReport } from '../drill/report/html-report.js';
import { type ScenarioSummary, summarizeScenario } from '../drill/report/scenario-summary.js';
import { formatComparison, formatProgress, formatScenario } from '../drill/report/text-report.js';
import { runScenario } from '../drill/runtime/run-scenario.js';
import { scenarioNames } from '../drill/runtime/scenario-events.js';
import { LameduckError } from '../errors/lameduck-error.js';
import { loadManifest } from '../k8s/manifest-loader.js';
import { onInterrupt } from '../lifecycle/interrupts.js';
import { readManifestFiles } from './read-manifest-files.js';

function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError('must be a whole number > 0');
  return Number(value);
}

function wholeNumber(value: string): number {
  if (!/^(0|[1-9]\d{0,6})$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `lameduck drill`: rehearses rollouts, node drains, node crashes and node hangs of a service on
 * this machine, from its manifests, and counts every failed request. Exit 0 when none failed, 1
 * when any did, 2 for bad input.
 */
export function createDrillCommand(): Command {
  return new Command('drill')
    .description(
      'rehearse rolling updates, node drains, crashes and hangs of a service on this machine, ' +
        'with its manifests, real processes and real load, and count every failed request',
    )
    .argument(
      '<manifest...>',
      'files, directories or - (standard input): one Deployment or StatefulSet, its Service, a PDB',
    )
    .requiredOption(
      '--run <command>',
      "the command that starts one pod's container (instead of its image)",
    )
    .option('--http <request>', 'HTTP traffic: "METHOD /path"')
    .option('--grpc <method>', 'gRPC traffic: FILE.proto:package.Service/Method')
    .option('--request <json>', 'the gRPC request, as JSON')
    .option(
      '--hold-streams <method>',
      'also hold --streams server streams of FILE.proto:package.Service/Method open',
    )
    .option('--hold-streams-request <json>', 'the request opening each held stream, as JSON')
    .option('--rate <perSecond>', 'requests per second, on each path', positiveInteger, 300)
    .option(
      '--streams <count>',
      'server streams held open (a server-streaming --grpc method, or --hold-streams)',
      positiveInteger,
      8,
    )
    .option('--deadline-ms <ms>', 'deadline of each request', positiveInteger, 2000)
    .option(
      '--scenario <names>',
      `scenarios, comma-separated: ${scenarioNames.join(', ')}`,
      scenarioNames.join(','),
    )
    .addOption(
      new Option('--path <path>', 'how callers find the pods')
        .choices(['service', 'etcd', 'both'])
        .default('service'),
    )
    .addOption(
      new Option('--client <client>', 'the etcd path caller')
        .choices(['lameduck', 'plain'])
        .default('lameduck'),
    )
    .option('--not-idempotent', 'the lameduck client must not retry the method on another server')
    .addOption(
      new Option('--registry-format <format>', 'how pods register in etcd')
        .choices(['etcd-naming', 'go-zero', 'kratos'])
        .default('etcd-naming'),
    )
    .option(
      '--registry-prefix <name>',
      "the name pods register under (default: the workload's name)",
    )
    .option('--etcd <urls>', "the user's etcd (comma-separated URLs) instead of a local one")
    .option('--nodes <count>', 'nodes of the cluster', positiveInteger, 3)
    .option('--seed <n>', 'seed of placement, names and delays', wholeNumber, 1)
    .option('--container <name>', 'the container to run, when the pod has several')
    .option('--env <NAME=VALUE>', 'an env value for the container (repeatable)', collect, [])
    .option('--propagation-ms <range>', 'endpoint propagation delay: MS or MIN-MAX', '100-1100')
    .option(
      '--node-monitor-grace <seconds>',
      'node-monitor-grace-period: a silent node turns NotReady after it',
      positiveInteger,
      40,
    )
    .option(
      '--toleration-seconds <seconds>',
      "a NotReady node's pods are evicted after it",
      wholeNumber,
      300,
    )
    .option('--hang-seconds <seconds>', 'how long node-hang stops the node', positiveInteger, 60)
    .option('--before-seconds <seconds>', 'load before each event', wholeNumber, 3)
    .option('--after-seconds <seconds>', 'load after the cluster settled', wholeNumber, 2)
    .option(
      '--start-timeout-seconds <seconds>',
      'for every pod to become ready (and registered)',
      positiveInteger,
      60,
    )
    .option(
      '--scenario-timeout-seconds <seconds>',
      'for a scenario to settle',
      positiveInteger,
      900,
    )
    .option('--json <file>', 'write the results as JSON')
    .option('--report <file>', 'write the results as a self-contained HTML report')
    .action(async (manifests: string[], flags: DrillCliOptions) => {
      process.exitCode = await drill(manifests, flags);
    });
}

async function drill(targets: readonly string[], flags: DrillCliOptions): Promise<number> {
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
