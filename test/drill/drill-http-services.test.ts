/**
 * `lameduck drill` through its CLI, with small HTTP services of ours in two languages (Node,
 * Python from Debian's python3), each in a naive form (dies at SIGTERM) and a graceful one:
 *
 * 1. The naive forms lose requests in a rolling update on the Service path (exit 1); the
 *    graceful forms lose none (exit 0), every old pod exiting 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drill, drillTimeoutMs, fixture } from '../helpers/drill-run.js';

const httpServices = [
  { language: 'Node', run: `${process.execPath} ${fixture('http-service.mjs')}` },
  { language: 'Python', run: `/usr/bin/python3 ${fixture('http_service.py')}` },
];

for (const { language, run } of httpServices) {
  test(`${language}: a service that dies at SIGTERM loses requests in a rolling update; a graceful one none`, {
    timeout: drillTimeoutMs + 20_000,
  }, async (t) => {
    // 1. 200 requests/s taking 50 ms each: about ten in flight when a pod dies.
    const common = [
      fixture('http-deployment.yaml'),
      '--run',
      run,
      '--http',
      'GET /',
      '--rate',
      '200',
      '--scenario',
      'rolling-update',
      '--env',
      'DELAY_MS=50',
    ];
    const naive = await drill(t, [...common, '--env', 'MODE=naive']);
    const lost = naive.find('rolling-update');
    assert.equal(naive.code, 1, naive.stderr);
    assert.ok(lost.failed > 0, JSON.stringify(lost.failures));
    assert.ok(
      lost.pods.every((p) => p.signal === 'SIGTERM'),
      JSON.stringify(lost.pods),
    );

    const graceful = await drill(t, [...common, '--env', 'MODE=graceful']);
    const kept = graceful.find('rolling-update');
    assert.equal(graceful.code, 0, `${graceful.stdout}\n${graceful.stderr}`);
    assert.equal(kept.failed, 0, JSON.stringify(kept.failures));
    assert.equal(kept.pods.length, 3);
    assert.ok(
      kept.pods.every((p) => p.exitCode === 0 && !p.killed),
      JSON.stringify(kept.pods),
    );
    t.diagnostic(
      `${language}: naive lost ${lost.failed} of ${lost.sent}; graceful lost 0 of ${kept.sent}`,
    );
  });
}
