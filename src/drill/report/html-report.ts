/**
 * The drill's results as one self-contained HTML file (no network: uPlot, its stylesheet and the
 * data are inlined): a summary table, then per scenario one panel per column (a mode of the
 * demo, or the one drill): requests per second and failed requests per 100 ms on each path, and
 * under it one band per pod with its phases and events (deleted, endpoint removed, SIGTERM,
 * SIGKILL). Columns side by side, so that modes are compared at a glance.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ScenarioSummary } from './scenario-summary.js';

/** One column of the report: a mode of the demo, or a drill's own results. */
export interface ReportColumn {
  title: string;
  /** One line under the title (the client, the hook…). */
  subtitle: string;
  summaries: readonly ScenarioSummary[];
}

/** What the report shows. */
export interface HtmlReport {
  title: string;
  /** A paragraph under the title. */
  lead: string;
  columns: readonly ReportColumn[];
  /** Footnotes (shortened Kubernetes timeouts, the machine). */
  notes: readonly string[];
}

const require = createRequire(import.meta.url);

/** uPlot's script and stylesheet, read from the installed package. */
function uplotAssets(): { script: string; css: string } {
  const dist = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return {
    script: readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8'),
  };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

// `</script>` inside the data would end the script element.
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The data the page draws: per column, per scenario, both paths' timelines. */
function chartData(report: HtmlReport) {
  return report.columns.map((column) => {
    const byScenario = new Map<string, ScenarioSummary[]>();
    for (const summary of column.summaries) {
      byScenario.set(summary.name, [...(byScenario.get(summary.name) ?? []), summary]);
    }
    return {
      title: column.title,
      subtitle: column.subtitle,
      scenarios: [...byScenario].map(([name, summaries]) => {
        const first = summaries[0] as ScenarioSummary;
        const t0 = first.timeline[0]?.atMs ?? 0;
        return {
          name,
          t0,
          paths: summaries.map((s) => ({
            path: s.path,
            atS: s.timeline.map((step) => (step.atMs - t0) / 1000),
            sentPerSecond: s.timeline.map((step) => step.sent * 10),
            failed: s.timeline.map((step) => step.failed),
          })),
          // Pod phases, as runs of one phase (from the first path: the pods are the same).
          bands: bandsOf(first, t0),
          events: first.events
            .filter(
              (e) =>
                e.atMs >= t0 &&
                e.pod !== undefined &&
                ['deleted', 'sigterm', 'sigkill', 'endpoint-removed', 'crashed', 'hung'].includes(
                  e.kind,
                ),
            )
            .map((e) => ({ atS: (e.atMs - t0) / 1000, pod: e.pod, kind: e.kind })),
        };
      }),
    };
  });
}

function bandsOf(summary: ScenarioSummary, t0: number) {
  const runs: Record<string, Array<{ fromS: number; toS: number; phase: string }>> = {};
  for (const step of summary.timeline) {
    const atS = (step.atMs - t0) / 1000;
    for (const [pod, phase] of Object.entries(step.phases)) {
      runs[pod] ??= [];
      const list = runs[pod];
      const last = list.at(-1);
      if (last !== undefined && last.phase === phase && Math.abs(last.toS - atS) < 0.15)
        last.toS = atS + 0.1;
      else list.push({ fromS: atS, toS: atS + 0.1, phase });
    }
  }
  return runs;
}

function summaryTable(report: HtmlReport): string {
  const rows = report.columns.flatMap((column) =>
    column.summaries.map(
      (s) =>
        `<tr class="${s.failed > 0 ? 'bad' : 'good'}"><td>${escapeHtml(column.title)}</td><td>${escapeHtml(s.name)}</td>` +
        `<td>${escapeHtml(s.path)}</td><td class="n">${s.sent.toLocaleString('en-US')}</td>` +
        `<td class="n">${s.failed.toLocaleString('en-US')}</td><td>${escapeHtml(
          Object.entries(s.failures)
            .map(([cause, n]) => `${cause} ${n}`)
            .join(', '),
        )}</td><td class="n">${s.rolloutMs === null ? '–' : `${(s.rolloutMs / 1000).toFixed(1)} s`}</td>` +
        `<td class="n">${s.slowestPodExitMs === null ? '–' : `${(s.slowestPodExitMs / 1000).toFixed(1)} s`}</td></tr>`,
    ),
  );
  return (
    '<table class="summary"><thead><tr><th>mode</th><th>scenario</th><th>path</th><th>sent</th>' +
    '<th>failed</th><th>causes</th><th>rollout</th><th>slowest pod exit</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** Renders the report. */
export function renderHtmlReport(report: HtmlReport): string {
  const { script, css } = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>${css}
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{margin:0;font-size:15px}
.lead{max-width:70em;color:#444}
table.summary{border-collapse:collapse;margin:12px 0}table.summary td,table.summary th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}
table.summary td.n{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{color:#b30000}tr.good td:nth-child(5){color:#137333}
.grid{display:grid;grid-template-columns:repeat(${report.columns.length},minmax(0,1fr));gap:16px}
.colhead p{margin:0 0 6px;color:#666;font-size:12px}
.panel{border:1px solid #e3e3e3;border-radius:6px;padding:8px}
.bands{display:block;width:100%}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
.notes{color:#555;font-size:12px;max-width:70em}
</style></head><body>
<h1>${escapeHtml(report.title)}</h1>
<p class="lead">${escapeHtml(report.lead)}</p>
${summaryTable(report)}
<div class="legend" id="legend"></div>
<div id="scenarios"></div>
<div class="notes">${report.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</div>
<script>${script}</script>
<script type="application/json" id="drill-data">${scriptSafeJson(chartData(report))}</script>
<script>${pageScript}</script>
</body></html>
`;
}

/** The page's own script: builds one chart and one band canvas per scenario and column. */
const pageScript = `
const data = JSON.parse(document.getElementById('drill-data').textContent);
const phaseColors = {pending:'#d9d9d9',starting:'#9ecae1',ready:'#41ab5d','not-ready':'#fdae6b',hook:'#9e9ac8','lame-duck':'#fec44f',terminating:'#f16913',draining:'#fd8d3c',exited:'#969696',killed:'#cb181d',hung:'#252525',lost:'#67000d'};
const pathColors = {service:['#3182bd','#de2d26'],etcd:['#31a354','#a63603']};
document.getElementById('legend').innerHTML = Object.entries(phaseColors).map(([p,c]) => '<span><i style="background:'+c+'"></i>'+p+'</span>').join('') +
  '<span>▼ deleted</span><span>◆ endpoint removed</span><span>| SIGTERM</span><span>✕ SIGKILL</span>';
const names = [...new Set(data.flatMap(c => c.scenarios.map(s => s.name)))];
document.getElementById('legend').innerHTML += '<br>' + Object.entries(pathColors).map(([p, [line, bars]]) =>
  '<span><i style="background:' + line + '"></i>' + p + ' path: requests/s</span><span><i style="background:' + bars + '"></i>' + p + ' path: failed per 100 ms</span>').join('');
const root = document.getElementById('scenarios');
window.drillCharts = [];
for (const name of names) {
  const section = document.createElement('section');
  const heading = document.createElement('h2');
  heading.textContent = name;
  const grid = document.createElement('div');
  grid.className = 'grid';
  for (const column of data) {
    const head = document.createElement('div');
    head.className = 'colhead';
    head.innerHTML = '<h3></h3><p></p>';
    head.querySelector('h3').textContent = column.title;
    head.querySelector('p').textContent = column.subtitle;
    grid.appendChild(head);
  }
  section.append(heading, grid);
  root.appendChild(section);
  for (const column of data) {
    const scenario = column.scenarios.find(s => s.name === name);
    const panel = document.createElement('div');
    panel.className = 'panel';
    grid.appendChild(panel);
    if (!scenario) { panel.textContent = 'not run'; continue; }
    const first = scenario.paths[0];
    const series = [{}];
    const values = [first.atS];
    for (const p of scenario.paths) {
      series.push({label: p.path + ' req/s', stroke: pathColors[p.path][0], width: 1, scale: 'rate'});
      values.push(p.sentPerSecond);
      series.push({label: p.path + ' failed /100 ms', stroke: pathColors[p.path][1], fill: pathColors[p.path][1] + '55', width: 1.5, scale: 'failed', paths: uPlot.paths.bars({size: [1, 6]})});
      values.push(p.failed);
    }
    const width = Math.max(280, panel.clientWidth - 16);
    const pods = Object.keys(scenario.bands);
    const bands = document.createElement('canvas');
    bands.className = 'bands';
    const rowPx = 12;
    // One time span for every mode of a scenario, so that durations compare at a glance.
    const spanS = Math.max(...data.flatMap(c => c.scenarios.filter(s => s.name === name).map(s => s.paths[0].atS.at(-1) || 0)));
    const chart = new uPlot({
      width, height: 200,
      legend: {show: false},
      scales: {x: {time: false, range: () => [0, spanS]}, rate: {}, failed: {range: (u, min, max) => [0, Math.max(5, max)]}},
      axes: [{label: 's'}, {scale: 'rate', label: 'req/s'}, {scale: 'failed', side: 1, label: 'failed', grid: {show: false}}],
      series,
      hooks: {draw: [u => drawBands(u, bands, scenario, pods, rowPx)]},
    }, values, panel);
    panel.appendChild(bands);
    window.drillCharts.push(chart);
  }
}
function drawBands(u, canvas, scenario, pods, rowPx) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = (u.width) * ratio;
  canvas.height = (pods.length * rowPx + 6) * ratio;
  canvas.style.height = (pods.length * rowPx + 6) + 'px';
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  const left = u.bbox.left / ratio;
  const x = s => left + u.valToPos(s, 'x');
  pods.forEach((pod, row) => {
    const y = row * rowPx + 2;
    ctx.fillStyle = '#555';
    ctx.font = '9px sans-serif';
    ctx.fillText(pod.slice(-5), 2, y + rowPx - 4);
    for (const run of scenario.bands[pod]) {
      ctx.fillStyle = phaseColors[run.phase] || '#bbb';
      ctx.fillRect(x(run.fromS), y, Math.max(1, x(run.toS) - x(run.fromS)), rowPx - 3);
    }
    ctx.font = '10px sans-serif';
    for (const e of scenario.events.filter(e => e.pod === pod)) {
      const ex = x(e.atS);
      ctx.fillStyle = e.kind === 'sigkill' ? '#cb181d' : '#111';
      const mark = {deleted: '▼', 'endpoint-removed': '◆', sigterm: '|', sigkill: '✕', crashed: '✕', hung: '‖'}[e.kind];
      ctx.fillText(mark, ex - 3, y + rowPx - 4);
    }
  });
}
`;
