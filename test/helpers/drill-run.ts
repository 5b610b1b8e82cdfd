/** Runs `lameduck drill` through its CLI for the drill's end-to-end tests, with its JSON results. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ScenarioSummary } from '../../src/drill/report/scenario-summary.js';
import { runLameduckCli } from './lameduck-cli.js';
import { lintTempDir } from './lint-kit.js';

/** A file of test/fixtures/drill. */
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/drill/${name}`, import.meta.url));
/**
 * The longest one drill run of these tests may take: inside the test runner's bound on a file
 * (180 s in the Makefile), so that a slow drill is stopped (SIGTERM: it stops its processes) by
 * its own timeout, never orphaned by the runner.
 */
export const drillTimeoutMs = 150_000;
// Short node timeouts: a NotReady node after 3 s, its pods evicted 2 s later.
export const quickNodes = [
  '--node-monitor-grace',
  '3',
  '--toleration-seconds',
  '2',
  '--hang-seconds',
  '5',
];

/** Runs a drill with `args`; returns its exit code, output and JSON results. */
export async function drill(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const dir = await lintTempDir(t);
  const json = path.join(dir, 'results.json');
  const run = await runLameduckCli(
    ['drill', ...args, '--before-seconds', '2', '--after-seconds', '1', '--json', json],
    '',
    { timeoutMs: drillTimeoutMs, env },
  );
  let scenarios: ScenarioSummary[] = [];
  try {
    scenarios = (JSON.parse(await readFile(json, 'utf8')) as { scenarios: ScenarioSummary[] })
      .scenarios;
  } catch {
    // No results: the run failed; the assertions show its output.
  }
  const find = (name: string, trafficPath = 'service') => {
    const found = scenarios.find((s) => s.name === name && s.path === trafficPath);
    assert.ok(
      found,
      `${name} on ${trafficPath}: no results; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`,
    );
    return found;
  };
  return { ...run, scenarios, find };
}

/** The tests' lameduck gRPC service (registered in etcd), drilled on both paths over `scenarios`. */
export function drillLameduckGrpc(t: TestContext, scenarios: string) {
  return drill(t, [
    fixture('grpc-deployment.yaml'),
    '--run',
    `${process.execPath} --import tsx ${fileURLToPath(new URL('../fixtures/grpc-echo-server.ts', import.meta.url))}`,
    '--grpc',
    `${fileURLToPath(new URL('../fixtures/grpc/echo.proto', import.meta.url))}:lameduck.example.v1.Echo/Unary`,
    '--request',
    '{"message":"drill","delay_ms":20}',
    '--rate',
    '100',
    '--path',
    'both',
    '--registry-prefix',
    'echo',
    '--scenario',
    scenarios,
    ...quickNodes,
  ]);
}
