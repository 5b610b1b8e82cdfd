/**
 * `make demo`: the incident replayed. The Passport example is drilled in its three modes, each
 * with its own manifests (deploy/naive, deploy/seed-fix, deploy/lameduck), over a rolling update,
 * a node drain, a node crash and a node hang, on the Service path and on the etcd path the
 * incident's callers used (the incident's plain callers for the first two modes, lameduck's
 * client for the third). It prints one comparison table and writes one HTML report.
 *
 * Usage: node dist-demo/examples/passport/demo.js [--out DIR] [--rate N]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifestFiles } from '../../src/cli/read-manifest-files.js';
import { parseDrillOptions } from '../../src/drill/drill-options.js';
import { renderHtmlReport } from '../../src/drill/report/html-report.js';
import {
  type ScenarioSummary,
  summarizeScenario,
} from '../../src/drill/report/scenario-summary.js';
import { formatProgress } from '../../src/drill/report/text-report.js';
import { runScenario } from '../../src/drill/runtime/run-scenario.js';
import { scenarioNames } from '../../src/drill/runtime/scenario-events.js';
import { LameduckError } from '../../src/errors/lameduck-error.js';
import { loadManifest } from '../../src/k8s/manifest-loader.js';
import { onInterrupt } from '../../src/lifecycle/interrupts.js';
import { issueToken } from './tokens.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Run from source (tsx) or compiled into dist-demo/examples/passport.
const compiled = !import.meta.url.endsWith('.ts');
const exampleDir = compiled ? path.resolve(here, '../../../examples/passport') : here;
const server = path.join(here, compiled ? 'server.js' : 'server.ts');
const node = compiled ? process.execPath : `${process.execPath} --import tsx`;
const proto = path.join(exampleDir, 'passport.proto');

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const outDir = path.resolve(flag('--out', 'demo-report'));
const ratePerSecond = Number(flag('--rate', '150'));

/** The demo's shortened Kubernetes timeouts, said in the table's footer. */
const timings = { nodeMonitorGraceSeconds: 5, tolerationSeconds: 5, hangSeconds: 10 };

const modes = [
  {
    mode: 'naive',
    title: 'naive (the incident)',
    subtitle: 'dies at SIGTERM, never deregisters; plain etcd callers',
    // The incident's image started the service through bash.
    run: `/bin/bash -c "${node} ${server}"`,
    client: 'plain' as const,
  },
  {
    mode: 'seed-fix',
    title: 'seed-fix (the write-up’s fix)',
    subtitle:
      'preStop sleep 15; deregister, then graceful stop with no deadline; plain etcd callers',
    run: `/bin/bash -c "${node} ${server}"`,
    client: 'plain' as const,
  },
  {
    mode: 'lameduck',
    title: 'lameduck',
    subtitle: 'lameduck’s preStop hook, drain and registration; lameduck’s etcd client',
    run: `${node} ${server}`,
    client: 'lameduck' as const,
  },
];

async function main(): Promise<number> {
  const controller = new AbortController();
  const stop = onInterrupt((signal) => {
    process.stderr.write(`\ndemo: ${signal}: stopping every process it started\n`);
    controller.abort(new LameduckError('aborted', `demo: interrupted (${signal})`));
  });
  const startedAtMs = performance.now();
  const live = process.stderr.isTTY === true;
  const { token } = issueToken('passport-example-secret', 'demo-user', Date.now(), 3_600_000);
  const columns: Array<{
    title: string;
    subtitle: string;
    mode: string;
    summaries: ScenarioSummary[];
  }> = [];
  try {
    for (const mode of modes) {
      const { files } = await readManifestFiles([path.join(exampleDir, 'deploy', mode.mode)], (m) =>
        process.stderr.write(`demo: ${m}\n`),
      );
      const parsed = parseDrillOptions(
        files.map((f) => loadManifest(f.file, f.text)),
        {
          run: mode.run,
          grpc: `${proto}:passport.v1.Passport/VerifyToken`,
          request: JSON.stringify({ token }),
          holdStreams: `${proto}:passport.v1.Passport/SessionEvents`,
          holdStreamsRequest: JSON.stringify({ user: 'demo-user', interval_ms: 500 }),
          rate: ratePerSecond,
          streams: 4,
          deadlineMs: 2000,
          scenario: scenarioNames.join(','),
          path: 'both',
          client: mode.client,
          registryFormat: 'etcd-naming',
          registryPrefix: 'passport',
          nodes: 3,
          seed: 1,
          env: [],
          propagationMs: '100-1100',
          nodeMonitorGrace: timings.nodeMonitorGraceSeconds,
          tolerationSeconds: timings.tolerationSeconds,
          hangSeconds: timings.hangSeconds,
          beforeSeconds: 2,
          afterSeconds: 1,
          startTimeoutSeconds: 60,
          scenarioTimeoutSeconds: 120,
        },
        process.env,
      );
      if (!parsed.ok) throw parsed.error;
      const summaries: ScenarioSummary[] = [];
      for (const scenario of parsed.value.scenarios) {
        const frame = await runScenario(scenario, {
          ...parsed.value.run,
          signal: controller.signal,
          progress: (progress) => {
            const line = `${mode.mode}: ${formatProgress(progress)}`;
            if (live) process.stderr.write(`\r\x1b[2K${line}`);
          },
        });
        for (const trafficPath of parsed.value.run.paths)
          summaries.push(summarizeScenario(frame, trafficPath));
        if (live) process.stderr.write('\r\x1b[2K');
        const failed = summaries
          .slice(-2)
          .map((s) => `${s.path} ${s.failed}`)
          .join(', ');
        process.stderr.write(`demo: ${mode.mode} ${scenario}: failed ${failed}\n`);
      }
      columns.push({ ...mode, summaries });
    }
  } catch (error) {
    if (live) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`demo: ${LameduckError.from(error).rawMessage}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    stop();
  }

  const notes = [
    `Node timeouts shortened so that the demo fits in minutes: a silent node turns NotReady after ${timings.nodeMonitorGraceSeconds} s ` +
      `(Kubernetes: node-monitor-grace-period 40 s) and its pods are evicted ${timings.tolerationSeconds} s later (tolerationSeconds 300); ` +
      `node-hang stops a node for ${timings.hangSeconds} s.`,
    `Traffic: VerifyToken at ${ratePerSecond} calls/s on each path, 2 s deadline, and 4 SessionEvents streams held open per path; ` +
      'endpoint changes reach the Service proxy 100 to 1,100 ms after they are made.',
    'Rollout: from the update until every new pod is available and every old pod has exited.',
  ];
  process.stdout.write(
    `\n${comparisonTable(columns)}\n\n${notes.map((n) => `* ${n}`).join('\n')}\n`,
  );
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, 'demo.json'),
    `${JSON.stringify({ modes: columns }, null, 1)}\n`,
  );
  const report = path.join(outDir, 'passport-demo.html');
  await writeFile(
    report,
    renderHtmlReport({
      title: 'The incident, replayed: Passport in three modes',
      lead:
        'The same gRPC service, three ways of leaving: as the incident’s service did (naive), with the ' +
        'write-up’s fix (preStop sleep 15, deregister, graceful stop), and with lameduck. Each mode on a ' +
        'fresh three-node cluster per scenario, on the Kubernetes Service path and on the etcd path.',
      columns,
      notes: [
        ...notes,
        `Drilled in ${Math.round((performance.now() - startedAtMs) / 1000)} s on this machine.`,
      ],
    }),
  );
  process.stdout.write(`${report}\n`);
  return 0;
}

function comparisonTable(
  columns: ReadonlyArray<{ mode: string; summaries: readonly ScenarioSummary[] }>,
): string {
  const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const rows = columns.flatMap(({ mode, summaries }) =>
    summaries.map((s) => [
      mode,
      s.name,
      s.path,
      `${s.failed.toLocaleString('en-US')} / ${s.sent.toLocaleString('en-US')}`,
      seconds(s.rolloutMs),
      seconds(s.slowestPodExitMs),
    ]),
  );
  const header = ['mode', 'scenario', 'path', 'failed / sent', 'rollout', 'slowest pod exit'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

process.exitCode = await main();
