/**
 * The drill's own cost, and what it shows:
 *
 * 1. Load and proxy: the drill's HTTP load at 1,000 requests/s on a hello-world server, straight
 *    to it and through the drill's kube-proxy model: the latency the proxy adds (p50, p99, as
 *    ratios over direct calls) and the CPU the drill's process spends (load, proxy) per second.
 * 2. Rollout speed: a rolling update of 3 replicas of the tests' lameduck gRPC service with the
 *    incident's `preStop: sleep 15` against lameduck's preStop hook, as the drill measures it
 *    (every new pod available, every old pod gone). Goal: lameduck's at least 5 times faster.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseDrillOptions } from '../src/drill/drill-options.js';
import { startHttpLoad } from '../src/drill/runtime/http-load.js';
import { runScenario } from '../src/drill/runtime/run-scenario.js';
import { startServiceProxy } from '../src/drill/runtime/service-proxy.js';
import { loadManifest } from '../src/k8s/manifest-loader.js';
import { type Benchmark, type BenchmarkReport, summaryRow } from './benchmark.js';
import { median, percentile, roundTo } from './stats.js';

const ratePerSecond = 1000;
const loadMs = 5000;
const warmupMs = 2000;
const rounds = 3;
const manifestPath = fileURLToPath(
  new URL('../test/fixtures/drill/grpc-deployment.yaml', import.meta.url),
);
const serverScript = fileURLToPath(
  new URL('../test/fixtures/grpc-echo-server.ts', import.meta.url),
);
const protoPath = fileURLToPath(new URL('../test/fixtures/grpc/echo.proto', import.meta.url));

/** Latencies and this process's CPU for a 1,000 req/s load on `origin`. */
async function measureLoad(origin: string, signal: AbortSignal, durationMs: number) {
  const latenciesMs: number[] = [];
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const startedAtMs = performance.now();
  const load = startHttpLoad(
    {
      origin,
      ratePerSecond,
      clients: 4,
      connectionsPerClient: 2,
      pidOf: () => undefined,
      onSettled: (started, ended, outcome) => {
        if (outcome.ok) latenciesMs.push(ended - started);
        else failed += 1;
      },
    },
    signal,
  );
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const report = await load.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedS = (performance.now() - startedAtMs) / 1000;
  return {
    p50Ms: roundTo(percentile(latenciesMs, 50), 3),
    p99Ms: roundTo(percentile(latenciesMs, 99), 3),
    sent: report.sent,
    failed,
    cpuPercentOfCore: roundTo(((cpu.user + cpu.system) / 1000 / (elapsedS * 1000)) * 100, 1),
  };
}

/** The manifest with the incident's preStop (`sleep 15` through a shell) instead of lameduck's. */
function seedFixManifest(text: string): string {
  return text
    .replace(
      /preStop:\n\s+httpGet: \{ path: \/lameduck\/prestop, port: admin \}/,
      'preStop:\n              exec: { command: ["sh", "-c", "sleep 15"] }',
    )
    .replaceAll('terminationGracePeriodSeconds: 10', 'terminationGracePeriodSeconds: 30')
    .replace('value: "10" }', 'value: "30" }');
}

async function rollout(text: string, signal: AbortSignal): Promise<number> {
  const parsed = parseDrillOptions(
    [loadManifest('deployment.yaml', text)],
    {
      run: `${process.execPath} --import tsx ${serverScript}`,
      grpc: `${protoPath}:lameduck.example.v1.Echo/Unary`,
      request: '{"message":"bench","delay_ms":10}',
      rate: 200,
      streams: 1,
      deadlineMs: 2000,
      scenario: 'rolling-update',
      path: 'service',
      client: 'lameduck',
      registryFormat: 'etcd-naming',
      nodes: 3,
      seed: 1,
      env: [],
      propagationMs: '100-1100',
      nodeMonitorGrace: 40,
      tolerationSeconds: 300,
      hangSeconds: 60,
      beforeSeconds: 1,
      afterSeconds: 0,
      startTimeoutSeconds: 60,
      scenarioTimeoutSeconds: 120,
    },
    process.env,
  );
  if (!parsed.ok) throw parsed.error;
  const frame = await runScenario('rolling-update', { ...parsed.value.run, signal, progress() {} });
  if (frame.rolloutMs === null) throw new Error('drill-cost: the rollout reported no duration');
  return frame.rolloutMs;
}

async function runDrillCost(
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BenchmarkReport> {
  const server = createServer((_req, res) => res.end('ok 1\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy = await startServiceProxy([port]);
  const directRuns: Array<Awaited<ReturnType<typeof measureLoad>>> = [];
  const proxiedRuns: Array<Awaited<ReturnType<typeof measureLoad>>> = [];
  try {
    // A first run warms the JIT and the sockets; then direct and proxied take turns.
    await measureLoad(`http://127.0.0.1:${port}`, signal, warmupMs);
    for (let round = 1; round <= rounds; round++) {
      directRuns.push(await measureLoad(`http://127.0.0.1:${port}`, signal, loadMs));
      proxiedRuns.push(await measureLoad(`http://127.0.0.1:${proxy.port}`, signal, loadMs));
      const [d, p] = [directRuns.at(-1), proxiedRuns.at(-1)];
      log(
        `round ${round}: direct p50 ${d?.p50Ms} ms p99 ${d?.p99Ms} ms ${d?.cpuPercentOfCore} % CPU; ` +
          `proxied p50 ${p?.p50Ms} ms p99 ${p?.p99Ms} ms ${p?.cpuPercentOfCore} % CPU`,
      );
    }
  } finally {
    await proxy.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  const medianOf = (runs: typeof directRuns) => ({
    p50Ms: roundTo(median(runs.map((r) => r.p50Ms)), 3),
    p99Ms: roundTo(median(runs.map((r) => r.p99Ms)), 3),
    cpuPercentOfCore: roundTo(median(runs.map((r) => r.cpuPercentOfCore)), 1),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
  });
  const direct = medianOf(directRuns);
  const proxied = medianOf(proxiedRuns);
  const lameduckText = readFileSync(manifestPath, 'utf8');
  const rollouts: Record<string, { lameduckMs: number; sleep15Ms: number; ratio: number }> = {};
  for (const [strategy, maxSurge] of [
    ['maxSurge 1', '1'],
    ['maxSurge 100%', '"100%"'],
  ] as const) {
    const text = lameduckText.replace('maxSurge: 1,', `maxSurge: ${maxSurge},`);
    const lameduckMs = await rollout(text, signal);
    const sleep15Ms = await rollout(seedFixManifest(text), signal);
    rollouts[strategy] = { lameduckMs, sleep15Ms, ratio: roundTo(sleep15Ms / lameduckMs, 2) };
    log(`${strategy}: lameduck's hook ${lameduckMs} ms, preStop sleep 15 ${sleep15Ms} ms`);
  }
  const sequential = rollouts['maxSurge 1'] as (typeof rollouts)[string];
  const surge = rollouts['maxSurge 100%'] as (typeof rollouts)[string];
  return {
    labels: {
      subject: 'through the drill’s proxy / lameduck hook',
      baseline: 'direct / preStop sleep 15',
    },
    parameters: { ratePerSecond, loadMs, rounds, replicas: 3, maxUnavailable: 0 },
    figures: { proxied, proxiedRuns, rollouts },
    baseline: { direct, directRuns },
    ratios: {
      proxyP50: roundTo(proxied.p50Ms / direct.p50Ms, 3),
      proxyP99: roundTo(proxied.p99Ms / direct.p99Ms, 3),
      rolloutSpeedMaxSurge1: sequential.ratio,
      rolloutSpeedMaxSurge100: surge.ratio,
    },
    rows: [
      summaryRow('latency p50 at 1,000 req/s (ms)', proxied.p50Ms, direct.p50Ms),
      summaryRow('latency p99 at 1,000 req/s (ms)', proxied.p99Ms, direct.p99Ms),
      summaryRow(
        'drill process CPU (% of a core)',
        proxied.cpuPercentOfCore,
        direct.cpuPercentOfCore,
      ),
      summaryRow(
        'rollout, maxSurge 1 (ms): sleep 15 / lameduck',
        sequential.sleep15Ms,
        sequential.lameduckMs,
        {
          goal: { text: '>= 5', isMet: (ratio) => ratio >= 5 },
        },
      ),
      summaryRow(
        'rollout, maxSurge 100% (ms): sleep 15 / lameduck',
        surge.sleep15Ms,
        surge.lameduckMs,
        {
          goal: { text: '>= 5', isMet: (ratio) => ratio >= 5 },
        },
      ),
    ],
    notes: [
      'The CPU row is the whole drill process (load generator and, when proxied, the proxy), measured with process.cpuUsage over the run.',
      'The rollout runs from the update until every new pod is available and every old pod has exited; kubectl rollout status returns earlier, while the old pods still terminate.',
      'With maxSurge 1 the three replacements start one after another, and that start-up time is in both figures: the ratio is bounded by it. With maxSurge 100% they start together, and the ratio shows the hooks.',
      "The pods run the tests' lameduck gRPC service from TypeScript through tsx (about a second to start).",
      `Failed requests: direct ${direct.failed}, proxied ${proxied.failed}.`,
    ],
  };
}

export const benchmark: Benchmark = {
  name: 'drill-cost',
  description:
    "the drill's load and proxy at 1,000 req/s against direct calls; rollout time with preStop sleep 15 against lameduck's hook",
  timeoutMs: 300_000,
  run: runDrillCost,
};
