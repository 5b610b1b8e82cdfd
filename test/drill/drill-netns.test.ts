/**
 * `lameduck drill --netns` (root), through its CLI:
 *
 * 4. Pods in network namespaces of their own bind 0.0.0.0 on one port; a crashed node goes
 *    silent without traffic leaving the machine; nothing is left afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drill, drillTimeoutMs, fixture, quickNodes } from '../helpers/drill-run.js';

test('--netns: pods in namespaces of their own bind 0.0.0.0 on one port; nothing is left after', {
  timeout: drillTimeoutMs + 20_000,
}, async (t) => {
  // 4. Three pods of a service that binds 0.0.0.0:8080, each in its own network namespace.
  const before = await networkState();
  const results = await drill(t, [
    fixture('http-deployment.yaml'),
    '--run',
    `${process.execPath} ${fixture('http-service.mjs')}`,
    '--env',
    'MODE=graceful',
    '--env',
    'LISTEN_HOST=0.0.0.0',
    '--http',
    'GET /',
    '--rate',
    '100',
    '--scenario',
    'rolling-update,node-crash',
    '--netns',
    ...quickNodes,
  ]);
  const rollout = results.find('rolling-update');
  assert.equal(rollout.failed, 0, JSON.stringify(rollout.failures));
  assert.ok(
    rollout.pods.every((p) => p.exitCode === 0),
    JSON.stringify(rollout.pods),
  );
  // A crashed node's pods go silent: nothing reaches beyond the namespaces (no answer from
  // anywhere else, such as an HTTP 403 from a proxy on the default route).
  const crash = results.find('node-crash');
  assert.ok(
    Object.keys(crash.failures).every((cause) => !cause.startsWith('HTTP')),
    JSON.stringify(crash.failures),
  );
  assert.deepEqual(await networkState(), before, 'namespaces, addresses or routes left behind');
});

/** The machine's network namespaces, and its 198.18.0.0/15 addresses and routes. */
async function networkState(): Promise<string> {
  const { execFile } = await import('node:child_process');
  const ip = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('ip', args, (error, stdout) => (error === null ? resolve(stdout) : reject(error))),
    );
  const lines = [
    await ip('netns', 'list'),
    await ip('-4', 'addr', 'show', 'dev', 'lo'),
    await ip('route'),
  ]
    .join('\n')
    .split('\n')
    .filter((line) => /198\.1[89]\.|^ld\d+p/.test(line));
  return lines.join('\n');
}
