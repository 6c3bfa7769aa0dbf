// A small canvas chart of a link's or sensor's last hours: speed as a line (left axis), flow as bars (right
// axis), the free-flow speed dashed, and after "now" the forecast speed with its band. Drawn by hand: the
// dashboard needs one chart, not a charting library.

import { hourMinute } from './format.js';

const COLORS = {
  speed: '#38bdf8', flow: 'rgba(167, 139, 250, 0.45)', ref: '#22c55e', grid: '#24324f', text: '#93a3bd',
  forecast: '#f472b6', band: 'rgba(244, 114, 182, 0.3)', now: '#e5edf9',
};
// the chart runs on this far past the last forecast, so its last point is not drawn on the edge
const MARGIN_MS = 5 * 60_000;

/** The top of an axis with four divisions, each a round number (5, 15, 20, 250 …). */
function niceMax(value) {
  const quarter = Math.max(value, 1e-9) / 4;
  const power = 10 ** Math.floor(Math.log10(quarter));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= quarter) return 4 * step * power;
  return 40 * power;
}

/** The usual time between two points (detectors report every 30 s to 5 min, whatever the bucket). */
function spacing(points, bucketMs) {
  const gaps = [];
  for (let i = 1; i < points.length; i += 1) gaps.push(Date.parse(points[i].time) - Date.parse(points[i - 1].time));
  if (!gaps.length) return bucketMs;
  gaps.sort((a, b) => a - b);
  return Math.max(bucketMs, gaps[Math.floor(gaps.length / 2)]);
}

const label = (value) => String(Math.round(value * 10) / 10);

/**
 * Draw ``points`` (the recent history) from ``start`` to ``end`` (now) and, when given, ``forecast``: rows of
 * GET /api/v1/forecasts for this road, drawn from their origin on as a line inside its band.
 */
export function drawChart(canvas, { points, start, end, bucketMs, reference, timeZone, forecast = [] }) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const font = parseFloat(getComputedStyle(canvas).fontSize) * 0.72;
  g.font = `${font}px system-ui, sans-serif`;

  const pad = { left: font * 2.6, right: font * 3.2, top: font * 0.8, bottom: font * 1.8 };
  const plotW = Math.max(10, width - pad.left - pad.right);
  const plotH = Math.max(10, height - pad.top - pad.bottom);
  const ahead = [...forecast].sort((a, b) => a.horizon_min - b.horizon_min);
  const now = Date.parse(end);
  const t0 = Date.parse(start);
  const t1 = ahead.length ? Math.max(now, Date.parse(ahead[ahead.length - 1].time) + MARGIN_MS) : now;
  const x = (t) => pad.left + ((t - t0) / (t1 - t0)) * plotW;
  const speeds = points.map((p) => p.speed_kmh).filter((v) => v !== null);
  const flows = points.map((p) => p.flow_vph).filter((v) => v !== null);
  const speedMax = niceMax(Math.max(reference || 0, ...speeds, ...ahead.map((f) => f.upper_kmh), 10) * 1.05);
  const flowMax = niceMax(Math.max(...flows, 100) * 1.05);
  const every = spacing(points, bucketMs);
  const ySpeed = (v) => pad.top + plotH - (v / speedMax) * plotH;
  const yFlow = (v) => pad.top + plotH - (v / flowMax) * plotH;

  // grid and axes
  g.strokeStyle = COLORS.grid;
  g.fillStyle = COLORS.text;
  g.lineWidth = 1;
  g.textBaseline = 'middle';
  for (let i = 0; i <= 4; i += 1) {
    const y = pad.top + (plotH * i) / 4;
    g.beginPath();
    g.moveTo(pad.left, y);
    g.lineTo(pad.left + plotW, y);
    g.stroke();
    g.textAlign = 'right';
    g.fillText(label(speedMax * (1 - i / 4)), pad.left - 4, y);
    g.textAlign = 'left';
    g.fillText(label(flowMax * (1 - i / 4)), pad.left + plotW + 4, y);
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  const hours = (t1 - t0) / 3_600_000;
  const stepH = hours <= 3 ? 0.5 : hours <= 8 ? 1 : hours <= 14 ? 2 : 4;
  const stepMs = stepH * 3_600_000;
  for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
    g.fillText(hourMinute(t, timeZone), x(t), pad.top + plotH + 4);
  }

  // flow bars
  const barW = Math.max(1, (every / (t1 - t0)) * plotW * 0.7);
  g.fillStyle = COLORS.flow;
  for (const p of points) {
    if (p.flow_vph === null) continue;
    const top = yFlow(p.flow_vph);
    g.fillRect(x(Date.parse(p.time)), top, barW, pad.top + plotH - top);
  }

  // free-flow reference
  if (reference) {
    g.strokeStyle = COLORS.ref;
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(pad.left, ySpeed(reference));
    g.lineTo(pad.left + plotW, ySpeed(reference));
    g.stroke();
    g.setLineDash([]);
  }

  // speed line, broken where readings are missing for longer than two and a half usual intervals
  g.strokeStyle = COLORS.speed;
  g.lineWidth = 2;
  g.lineJoin = 'round';
  g.beginPath();
  let last = null;
  for (const p of points) {
    if (p.speed_kmh === null) continue;
    const t = Date.parse(p.time) + bucketMs / 2;
    if (last === null || t - last > every * 2.5) g.moveTo(x(t), ySpeed(p.speed_kmh));
    else g.lineTo(x(t), ySpeed(p.speed_kmh));
    last = t;
  }
  g.stroke();
  if (speeds.length === 1) {
    const p = points.find((q) => q.speed_kmh !== null);
    g.fillStyle = COLORS.speed;
    g.beginPath();
    g.arc(x(Date.parse(p.time) + bucketMs / 2), ySpeed(p.speed_kmh), 3, 0, Math.PI * 2);
    g.fill();
  }
  if (!points.length) {
    g.fillStyle = COLORS.text;
    g.textBaseline = 'middle';
    g.fillText('no readings in this window', pad.left + plotW / 2, pad.top + plotH / 2);
  }
  drawForecast(g, ahead, { x, y: ySpeed, now, top: pad.top, bottom: pad.top + plotH, last: speeds[speeds.length - 1] });
  canvas.dataset.forecast = JSON.stringify(ahead.map((f) => ({
    horizon_min: f.horizon_min, x: x(Date.parse(f.time)), y: ySpeed(f.speed_kmh), yLower: ySpeed(f.lower_kmh),
    yUpper: ySpeed(f.upper_kmh),
  })));
  canvas.dataset.points = String(points.length);
  canvas.dataset.lastSpeed = speeds.length ? speeds[speeds.length - 1].toFixed(1) : '';
}

/**
 * The forecast after "now": a band from the origin (the last interval read, where the forecast starts from the
 * last reading) widening to each horizon's 80 % band, the forecast speed dashed through it, and "now" marked.
 */
function drawForecast(g, ahead, { x, y, now, top, bottom, last }) {
  if (!ahead.length) return;
  const origin = Date.parse(ahead[0].time) - ahead[0].horizon_min * 60_000;
  const start = last ?? ahead[0].speed_kmh;
  const times = [origin, ...ahead.map((f) => Date.parse(f.time))];
  const upper = [start, ...ahead.map((f) => f.upper_kmh)];
  const lower = [start, ...ahead.map((f) => f.lower_kmh)];
  const speeds = [start, ...ahead.map((f) => f.speed_kmh)];

  g.strokeStyle = COLORS.now;
  g.globalAlpha = 0.5;
  g.lineWidth = 1;
  g.setLineDash([2, 3]);
  g.beginPath();
  g.moveTo(x(now), top);
  g.lineTo(x(now), bottom);
  g.stroke();
  g.globalAlpha = 1;
  g.fillStyle = COLORS.text;
  g.textAlign = 'center';
  g.textBaseline = 'bottom';
  g.fillText('now', x(now), top + parseFloat(g.font));

  g.fillStyle = COLORS.band;
  g.beginPath();
  times.forEach((t, i) => (i ? g.lineTo(x(t), y(upper[i])) : g.moveTo(x(t), y(upper[i]))));
  for (let i = times.length - 1; i >= 0; i -= 1) g.lineTo(x(times[i]), y(lower[i]));
  g.closePath();
  g.fill();

  g.strokeStyle = COLORS.forecast;
  g.lineWidth = 2;
  g.setLineDash([5, 3]);
  g.beginPath();
  times.forEach((t, i) => (i ? g.lineTo(x(t), y(speeds[i])) : g.moveTo(x(t), y(speeds[i]))));
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = COLORS.forecast;
  for (let i = 1; i < times.length; i += 1) {
    g.beginPath();
    g.arc(x(times[i]), y(speeds[i]), 2.5, 0, Math.PI * 2);
    g.fill();
  }
}
