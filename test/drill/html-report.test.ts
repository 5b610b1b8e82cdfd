/**
 * The drill's HTML report in a real browser (Debian's Chromium, driven by playwright-core):
 *
 * 1. A report of two columns (modes) over two scenarios, from results a drill produced, renders
 *    without a console error or a failed request (it is one file: nothing to fetch).
 * 2. Every chart canvas and every pod band has drawn data (pixels that are not blank), and the
 *    summary table names each mode and scenario.
 * 3. A screenshot is saved under the test's temporary directory.
 */
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { renderHtmlReport } from '../../src/drill/report/html-report.js';
import type { ScenarioSummary } from '../../src/drill/report/scenario-summary.js';
import { lintTempDir } from '../helpers/lint-kit.js';
import { TEST_TIMEOUT_MS } from '../helpers/timeouts.js';

/** A summary shaped as a drill writes it: steady traffic, failures from `failFromS` for a while. */
function summary(
  name: string,
  trafficPath: 'service' | 'etcd',
  failFromS: number | undefined,
): ScenarioSummary {
  const pods = ['web-a', 'web-b', 'web-c'];
  const timeline = Array.from({ length: 120 }, (_, i) => {
    const failing = failFromS !== undefined && i >= failFromS * 10 && i < failFromS * 10 + 8;
    return {
      atMs: 2000 + i * 100,
      sent: 30,
      failed: failing ? 7 : 0,
      phases: Object.fromEntries(
        pods.map((pod, n) => [
          pod,
          i < 40 + n * 10 ? 'ready' : i < 60 + n * 10 ? 'lame-duck' : 'exited',
        ]),
      ) as ScenarioSummary['timeline'][number]['phases'],
    };
  });
  return {
    name,
    path: trafficPath,
    sent: 3600,
    failed: failFromS === undefined ? 0 : 56,
    failures: failFromS === undefined ? {} : { 'gRPC UNAVAILABLE': 56 },
    failureExamples: failFromS === undefined ? {} : { 'gRPC UNAVAILABLE': 'Connection dropped' },
    streams: { ended: 0, endings: {} },
    latencyMs: { before: { p50: 2, p99: 9 }, during: { p50: 3, p99: 40 } },
    rolloutMs: name === 'rolling-update' ? 8000 : null,
    slowestPodExitMs: 2600,
    pods: [],
    events: pods.flatMap((pod, n) => [
      { atMs: 6000 + n * 1000, kind: 'deleted', pod },
      { atMs: 6400 + n * 1000, kind: 'endpoint-removed', pod },
      { atMs: 8000 + n * 1000, kind: 'sigterm', pod },
    ]),
    notes: [],
    timeline,
  };
}

test('the HTML report renders in Chromium with its charts and pod bands drawn', {
  timeout: TEST_TIMEOUT_MS * 2,
}, async (t) => {
  const dir = await lintTempDir(t);
  const file = path.join(dir, 'report.html');
  const columns = [
    { title: 'naive', subtitle: 'dies at SIGTERM', failFromS: 4 },
    { title: 'lameduck', subtitle: 'lameduck’s hook', failFromS: undefined },
  ].map(({ title, subtitle, failFromS }) => ({
    title,
    subtitle,
    summaries: ['rolling-update', 'node-crash'].flatMap((name) =>
      (['service', 'etcd'] as const).map((p) => summary(name, p, failFromS)),
    ),
  }));
  await writeFile(
    file,
    renderHtmlReport({
      title: 'A drill </script> report',
      lead: 'two modes',
      columns,
      notes: ['a note'],
    }),
  );

  // 1.
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(`file://${file}`);
  // Browser-side code as strings: this project is type-checked without the DOM's types.
  await page.waitForFunction('window.drillCharts?.length === 4');
  assert.deepEqual(problems, []);

  // 2. Every canvas has pixels that are not transparent.
  const drawn = (await page.evaluate(`[...document.querySelectorAll('canvas')].map((canvas) => {
    const context = canvas.getContext('2d');
    if (context === null || canvas.width === 0 || canvas.height === 0) return 0;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
    return painted;
  })`)) as number[];
  // Four panels, each a chart canvas and a band canvas.
  assert.equal(drawn.length, 8, JSON.stringify(drawn));
  assert.ok(
    drawn.every((pixels) => pixels > 100),
    JSON.stringify(drawn),
  );
  const table = (await page.locator('table.summary').textContent()) ?? '';
  for (const word of ['naive', 'lameduck', 'rolling-update', 'node-crash', 'service', 'etcd']) {
    assert.match(table, new RegExp(word));
  }
  assert.equal(await page.title(), 'A drill </script> report');

  // 3.
  const screenshot = path.join(dir, 'report.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.ok((await stat(screenshot)).size > 10_000);
  t.diagnostic(`screenshot: ${screenshot}`);
});
