// A small canvas chart of a link's or sensor's last hours: speed as a line (left axis), flow as bars (right
// axis), the free-flow speed dashed. Drawn by hand: the dashboard needs one chart, not a charting library.

import { hourMinute } from './format.js';

const COLORS = { speed: '#38bdf8', flow: 'rgba(167, 139, 250, 0.45)', ref: '#22c55e', grid: '#24324f', text: '#93a3bd' };

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

export function drawChart(canvas, { points, start, end, bucketMs, reference, timeZone }) {
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
  const t0 = Date.parse(start);
  const t1 = Date.parse(end);
  const x = (t) => pad.left + ((t - t0) / (t1 - t0)) * plotW;
  const speeds = points.map((p) => p.speed_kmh).filter((v) => v !== null);
  const flows = points.map((p) => p.flow_vph).filter((v) => v !== null);
  const speedMax = niceMax(Math.max(reference || 0, ...speeds, 10) * 1.05);
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
  canvas.dataset.points = String(points.length);
  canvas.dataset.lastSpeed = speeds.length ? speeds[speeds.length - 1].toFixed(1) : '';
}
