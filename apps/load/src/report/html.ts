// report.html: one self-contained file that opens offline — uPlot (JS and CSS) and the chart data inlined —
// with the verdict table, latency CDFs per profile, bitrate and stage layer over time, and freezes per viewer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LinkProfile, LinkStats } from '@scenecast/load-client';
import { decodeHistogram, latencyMetrics } from '../metrics.js';
import type { BrowserViewer, Report } from './report.js';

const require = createRequire(import.meta.url);
const uplotDir = join(dirname(require.resolve('uplot')), '..', 'dist');

/** Percentiles at which each CDF is drawn. */
const cdfPercentiles = [...Array.from({ length: 100 }, (_, i) => i), 99.5, 99.9, 100];

/** Each profile's CDF of one metric on a shared x axis (ms), as uPlot wants: [xs, ...ys per profile]. */
function cdf(report: Report, metric: (typeof latencyMetrics)[number]) {
  const names = Object.keys(report.raw.profiles).sort();
  const curves = names.map((name) => {
    const histogram = decodeHistogram(report.raw.profiles[name]!.histograms[metric]);
    if (histogram.totalCount === 0) return [] as Array<[number, number]>;
    return cdfPercentiles.map((p) => [histogram.getValueAtPercentile(p), p] as [number, number]);
  });
  const xs = [...new Set(curves.flat().map(([x]) => x))].sort((a, b) => a - b);
  const ys = curves.map((curve) =>
    xs.map((x) => {
      if (curve.length === 0) return null;
      let share = 0;
      for (const [value, p] of curve) if (value <= x) share = p;
      return share;
    }),
  );
  return { names, data: [xs, ...ys] };
}

/** A per-second series per profile on a shared time axis. */
function series(
  report: Report,
  pick: (p: { viewers: number; kbps: number; stageHeight: number }) => number | null,
) {
  const names = [...new Set(report.raw.series.map((p) => p.profile))].sort();
  const ts = [...new Set(report.raw.series.map((p) => p.t))].sort((a, b) => a - b);
  const index = new Map(report.raw.series.map((p) => [`${p.t}/${p.profile}`, p]));
  const ys = names.map((name) =>
    ts.map((t) => {
      const point = index.get(`${t}/${name}`);
      return point ? pick(point) : null;
    }),
  );
  return { names, data: [ts, ...ys] };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Keeps inlined JSON from closing the script element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function renderHtml(report: Report): string {
  const frozen = [...report.raw.viewers].sort((a, b) => b.frozenMs - a.frozenMs);
  const charts = {
    cdfs: Object.fromEntries(latencyMetrics.map((m) => [m, cdf(report, m)])),
    kbps: series(report, (p) => (p.viewers > 0 ? Math.round(p.kbps / p.viewers) : null)),
    height: series(report, (p) => (p.viewers > 0 ? p.stageHeight : null)),
    viewers: series(report, (p) => p.viewers),
    sfuRss: {
      names: [report.sfu?.source ?? 'not sampled'],
      data: [
        (report.sfu?.samples ?? []).map((s) => s.t),
        (report.sfu?.samples ?? []).map((s) => Math.round(s.rssBytes / 1e5) / 10),
      ],
    },
    freezes: {
      labels: frozen.map((v) => `${v.profile} #${v.id}`),
      data: [frozen.map((_, i) => i), frozen.map((v) => v.frozenMs / 1000), frozen.map((v) => v.freezes)],
    },
  };
  const verdictRows = report.thresholds
    .map(
      (t) =>
        `<tr class="${t.pass ? 'pass' : 'fail'}"><td><code>${escapeHtml(t.expression)}</code></td><td>${
          t.value === null ? 'no data' : t.value
        }</td><td>${t.pass ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('');
  const profileRows = Object.entries({ all: report.metrics, ...report.profiles })
    .map(
      ([name, m]) =>
        `<tr><th>${escapeHtml(name)}</th><td>${m.viewers}</td><td>${m.join_ms.p95 ?? '–'}</td><td>${
          m.switch_first_frame_ms.p95 ?? '–'
        }</td><td>${m.switch_sharp_ms.p95 ?? '–'}</td><td>${m.zoom_2160_ms.p95 ?? '–'}</td><td>${
          m.loss_ratio === null ? '–' : `${(m.loss_ratio * 100).toFixed(2)} %`
        }</td><td>${m.freeze_ratio === null ? '–' : `${(m.freeze_ratio * 100).toFixed(2)} %`}</td><td>${
          m.bitrate_kbps.p50 ?? '–'
        }</td><td>${m.stage_height_mean ?? '–'}</td><td>${m.disconnects}</td></tr>`,
    )
    .join('');
  const shards = report.generator.shards
    .map(
      (s) =>
        `<li>${escapeHtml(s.shard)} (${escapeHtml(s.host)}): ${s.workers.length} workers on ${s.cores} cores, CPU ${s.cpuPercent.toFixed(
          0,
        )} %, event-loop delay p99 ${Math.max(...s.workers.map((w) => w.eventLoopDelayMs.p99))} ms, own UDP drops ${
          s.generatorUdpDrops ?? '–'
        }${s.bottleneck.length ? ` — <b>bottleneck:</b> ${escapeHtml(s.bottleneck.join('; '))}` : ''}</li>`,
    )
    .join('');
  const b = report.browsers;
  // The browsers' own numbers: few, so each one is listed rather than summarised in percentiles.
  const list = (values: number[]) => (values.length ? values.join(', ') : '–');
  const lost = (l: LinkStats) => l.sent - l.delivered;
  const linkCell = (v: BrowserViewer) =>
    v.link
      ? `down ${lost(v.link.down)} of ${v.link.down.sent}<br>up ${lost(v.link.up)} of ${v.link.up.sent}`
      : '–';
  // Each knob with its setting: down / up, or one value for both.
  const knobValue = (value: LinkProfile[keyof LinkProfile]) =>
    value === undefined
      ? '–'
      : typeof value === 'object'
        ? Object.entries(value)
            .filter(([, v]) => v !== 0)
            .map(([k, v]) => `${k} ${v}`)
            .join(' ')
        : String(value);
  const knobCell = (v: BrowserViewer) =>
    v.knobs
      .map((knob) => {
        const { down, up, outage } = v.settings;
        if (knob === 'outage') return `outage ${outage?.durationMs} ms every ${outage?.everyMs} ms`;
        const [d, u] = [knobValue(down[knob as keyof LinkProfile]), knobValue(up[knob as keyof LinkProfile])];
        return `${knob} ${d === u ? d : `${d} / ${u}`}`;
      })
      .join('<br>') || '–';
  const viewerRow = (v: BrowserViewer) =>
    `<tr><td>${escapeHtml(v.profile)}</td><td class="text">${v.via}</td><td class="text">${knobCell(v)}</td><td>${linkCell(v)}</td><td>${v.join_ms ?? '–'}</td><td>${list(v.switch_first_frame_ms)}</td><td>${list(v.switch_sharp_ms)}</td><td>${list(v.zoom_2160_ms)}</td><td>${v.bitrate_kbps ?? '–'}</td><td>${v.stage_height_p50 ?? '–'}</td><td>${v.framesDecoded}</td><td>${v.freezes}</td><td>${v.frozenMs}</td><td>${v.packetsLost} / ${v.packetsReceived}</td></tr>`;
  // Reports written before per-browser entries have only the totals: one row of them.
  const rows = b?.viewers
    ? b.viewers.map(viewerRow).join('')
    : b
      ? `<tr><td>${escapeHtml(b.profile)}</td><td>–</td><td>–</td><td>–</td><td>${list(b.join_ms)}</td><td>${list(b.switch_first_frame_ms)}</td><td>${list(b.switch_sharp_ms)}</td><td>${list(b.zoom_2160_ms)}</td><td>–</td><td>–</td><td>${b.framesDecoded}</td><td>${b.freezes}</td><td>${b.frozenMs}</td><td>${b.packetsLost} / ${b.packetsReceived}</td></tr>`
      : '';
  const browsers = b
    ? `<h2>Browser viewers</h2>
<p>${b.count} Chromium viewer${b.count === 1 ? '' : 's'} running the viewer app; network: ${escapeHtml(b.network)}.</p>
<table id="browsers"><tr><th>profile</th><th class="text">via</th><th class="text">knobs applied (down / up)</th><th>lost on its link</th><th>join ms</th><th>switch, first frame ms</th><th>switch, sharp ms</th><th>zoom to top layer ms</th><th>kbps</th><th>stage height</th><th>frames decoded</th><th>freezes</th><th>frozen ms</th><th>packets lost / received</th></tr>
${rows}</table>
${b.consoleErrors.length ? `<p><b>Console errors:</b></p><ul>${b.consoleErrors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}`
    : '';
  const title = `scenecast-load: ${report.target.show ?? report.target.room ?? ''} — ${report.verdict}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8')}
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1200px}
h1{font-size:22px} h2{font-size:17px;margin-top:28px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600}
.verdict.pass{background:#1f8b4c}.verdict.fail{background:#c62828}.verdict.invalid{background:#b26a00}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #d5d9e0;padding:4px 10px;text-align:right}
th:first-child,td:first-child,.text{text-align:left}
#browsers td:nth-child(-n+4){white-space:nowrap}
tr.pass td{background:#e3f5e9} tr.fail td{background:#fde4e4}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.chart h3{font-size:14px;margin:4px 0}
</style></head><body>
<h1>${escapeHtml(title.split(' — ')[0]!)} <span class="verdict ${report.verdict}">${report.verdict}</span></h1>
<p>${report.scenario.viewers} viewers, ramp ${report.scenario.rampPerSecond}/s, ${report.scenario.durationSeconds} s, profiles ${escapeHtml(
    Object.entries(report.scenario.profiles)
      .map(([n, s]) => `${n} ${Math.round(s * 100)} %`)
      .join(', '),
  )}; target ${escapeHtml(report.target.url)}${report.interrupted ? ' — <b>interrupted (partial)</b>' : ''}</p>
${report.invalidReasons.length ? `<p><b>Invalid run:</b> ${escapeHtml(report.invalidReasons.join('; '))}</p>` : ''}
<h2>Thresholds</h2>
<table id="thresholds"><tr><th>threshold</th><th>value</th><th>result</th></tr>${verdictRows || '<tr><td colspan="3">none set</td></tr>'}</table>
<h2>Per profile (p95 in ms)</h2>
<table><tr><th>profile</th><th>viewers</th><th>join</th><th>switch, first frame</th><th>switch, sharp</th><th>zoom to top layer</th><th>loss</th><th>frozen</th><th>kbps p50</th><th>stage height</th><th>disconnects</th></tr>${profileRows}</table>
${browsers}
<h2>Generator</h2><ul>${shards}</ul>
<h2>SFU memory</h2><p>${
    report.sfu
      ? `RSS from ${escapeHtml(report.sfu.source)}: ${report.sfu.samples.length} samples, growth ${
          report.metrics.rss_growth_pct ?? '–'
        } % (<code>rss_growth_pct</code>)${report.sfu.error ? `; ${escapeHtml(report.sfu.error)}` : ''}`
      : 'not sampled'
  }</p>
<h2>Errors</h2>${
    Object.keys(report.errors ?? {}).length
      ? `<ul>${Object.entries(report.errors)
          .sort((a, b) => b[1] - a[1])
          .map(([reason, n]) => `<li>${n} × ${escapeHtml(reason)}</li>`)
          .join('')}</ul>`
      : '<p>none</p>'
  }
<h2>Charts</h2>
<div class="charts" id="charts"></div>
<script>${readFileSync(join(uplotDir, 'uPlot.iife.min.js'), 'utf8')}</script>
<script>
const charts = ${scriptJson(charts)};
const colors = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2'];
const root = document.getElementById('charts');
function chart(title, xLabel, yLabel, names, data, extra) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.innerHTML = '<h3></h3>';
  box.firstChild.textContent = title;
  root.appendChild(box);
  if (data[0].length === 0) { box.appendChild(document.createTextNode('no data')); return; }
  new uPlot(Object.assign({
    width: 560, height: 260,
    scales: { x: { time: false } },
    axes: [{ label: xLabel }, { label: yLabel }],
    series: [{ label: xLabel }].concat(names.map((n, i) => ({ label: n, stroke: colors[i % colors.length], width: 2, spanGaps: true }))),
  }, extra || {}), data, box);
}
const labels = { join_ms: 'join (token request → first frame)', switch_first_frame_ms: 'switch → first frame of the new scene', switch_sharp_ms: 'switch → first frame at the stage layer', zoom_2160_ms: 'zoom → first frame at the top layer', chat_ms: 'chat sent → seen by another viewer' };
for (const [metric, c] of Object.entries(charts.cdfs)) chart('CDF: ' + labels[metric], 'ms', '% of actions', c.names, c.data);
chart('Received bitrate per viewer', 's', 'kbit/s', charts.kbps.names, charts.kbps.data);
chart('Stage layer (mean height)', 's', 'px', charts.height.names, charts.height.data);
chart('Viewers connected', 's', 'viewers', charts.viewers.names, charts.viewers.data);
chart('SFU resident memory', 's', 'MB', charts.sfuRss.names, charts.sfuRss.data);
chart('Frozen time per viewer, its tracks summed (worst first)', 'viewer', 's frozen', ['frozen s', 'freezes'], charts.freezes.data, {
  scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max)] }, n: { range: (u, min, max) => [0, Math.max(1, max)] } },
  series: [{ label: 'viewer', value: (u, i) => i == null ? '' : charts.freezes.labels[i] }, { label: 'frozen s', stroke: '#c62828', fill: '#c6282855', paths: uPlot.paths.bars({ size: [0.8, 40] }) }, { label: 'freezes', stroke: '#1f77b4', scale: 'n' }],
  axes: [{ label: 'viewer' }, { label: 's frozen' }, { label: 'freezes', side: 1, scale: 'n', grid: { show: false } }],
});
document.body.dataset.charts = String(document.querySelectorAll('.uplot').length);
</script>
</body></html>
`;
}
