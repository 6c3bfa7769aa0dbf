// The side panels: city KPIs, and the details of a clicked road, sensor, bus or incident with its chart.

import { drawChart } from './chart.js';
import { describe, fetchForecasts, showNote } from './forecast.js';
import * as fmt from './format.js';

const $ = (id) => document.getElementById(id);

export class KpiPanel {
  constructor(timeZone) {
    this.timeZone = timeZone;
    this.last = {};
  }

  show(kpis) {
    this.set('kpi-speed', fmt.number(kpis.mean_speed_kmh, 1));
    this.set('kpi-congested', fmt.number(kpis.congested_lane_km, 1));
    this.setVehicles(kpis.vehicles_in_network);
    this.set('kpi-alerts', fmt.number(kpis.alerts_open));
    const links = kpis.congested_links;
    $('kpi-congested').querySelector('.unit').textContent = `lane-km · ${fmt.number(links)} link${links === 1 ? '' : 's'}`;
    $('kpi-foot').textContent = `${fmt.number(kpis.links_reporting)} of ${fmt.number(kpis.links_total)} links `
      + `reporting in the last ${Math.round(kpis.window_s / 60)} min · updated ${fmt.clock(kpis.time, this.timeZone)}`;
    document.body.dataset.kpisAt = kpis.time;
  }

  setVehicles(count) {
    this.set('kpi-vehicles', count === null || count === undefined ? '–' : fmt.number(count));
    $('kpi-vehicles').querySelector('.unit').textContent = count === null || count === undefined ? 'no digital twin' : '';
  }

  set(id, text) {
    const tile = $(id);
    if (this.last[id] !== undefined && this.last[id] !== text) {
      tile.classList.remove('changed');
      void tile.offsetWidth; // restart the highlight animation
      tile.classList.add('changed');
    }
    this.last[id] = text;
    tile.querySelector('.value').textContent = text;
  }
}

export class DetailsPanel {
  constructor({ timeZone, onClose }) {
    this.timeZone = timeZone;
    this.current = null;
    this.history = null;
    this.forecast = [];
    this.pending = null;
    this.loadedAt = 0;
    $('details-close').addEventListener('click', () => {
      this.close();
      onClose();
    });
    new ResizeObserver(() => this.redraw()).observe($('chart-box'));
  }

  /** Show ``item``: {kind, id, title, subtitle, facts: [[label, value]], historyUrl, reference, linkId,
   * forecastFor (a link id whose forecasts the chart draws after now)}. */
  open(item) {
    const same = this.current && this.current.kind === item.kind && this.current.id === item.id;
    this.current = item;
    $('details').hidden = false;
    $('details').dataset.kind = item.kind;
    $('details').dataset.id = item.id;
    $('details-title').textContent = item.title;
    $('details-sub').textContent = item.subtitle || '';
    this.showFacts(item.facts);
    $('chart-box').hidden = !item.historyUrl;
    if (!same) {
      this.history = null;
      this.forecast = [];
      $('chart').dataset.points = '';
      $('chart').dataset.forecast = '[]';
      $('chart-note').textContent = 'loading…';
      $('forecast-note').hidden = true;
      $('forecast-note').dataset.state = '';
    }
    if (item.historyUrl) this.load();
  }

  showFacts(facts) {
    const list = $('details-facts');
    list.replaceChildren();
    for (const [label, value] of facts) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      list.append(dt, dd);
    }
  }

  close() {
    this.current = null;
    $('details').hidden = true;
  }

  /** New readings arrived for these links: refresh the chart if it shows one of them (at most once a second). */
  touched(linkIds) {
    const item = this.current;
    if (!item || !item.historyUrl || !linkIds.has(item.linkId)) return;
    const wait = Math.max(0, this.loadedAt + 1000 - Date.now());
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.load();
    }, wait);
  }

  async load() {
    const item = this.current;
    this.loadedAt = Date.now();
    // asked for together; a forecast that fails leaves the history drawn, and says so
    const forecastP = item.forecastFor
      ? fetchForecasts({ link_id: item.forecastFor }).catch((error) => error)
      : Promise.resolve(null);
    let history;
    try {
      const response = await fetch(item.historyUrl);
      if (!response.ok) throw new Error(String(response.status));
      history = await response.json();
    } catch (error) {
      if (this.current === item) $('chart-note').textContent = `history unavailable (${error.message})`;
      return;
    }
    const forecast = await forecastP;
    if (this.current !== item) return;
    this.history = history;
    this.forecast = Array.isArray(forecast) ? forecast : [];
    this.showForecastNote(forecast);
    this.redraw();
  }

  showForecastNote(forecast) {
    const note = $('forecast-note');
    note.hidden = forecast === null;
    if (forecast === null) return;
    if (forecast instanceof Error) {
      showNote(note, { state: 'error', label: `forecast unavailable (${forecast.message})`, band: '', reason: '' });
      return;
    }
    const description = describe(forecast);
    showNote(note, { ...description, label: `Forecast: ${description.label}` });
  }

  redraw() {
    const item = this.current;
    const history = this.history;
    if (!item || !history || $('details').hidden) return;
    const bucketMs = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000 }[history.bucket] || 60_000;
    drawChart($('chart'), {
      points: history.points, start: history.start, end: history.end, bucketMs, reference: item.reference,
      timeZone: this.timeZone, forecast: this.forecast,
    });
    const hours = Math.round((Date.parse(history.end) - Date.parse(history.start)) / 3_600_000);
    const per = { '1m': 'minute', '5m': '5 minutes', '15m': '15 minutes', '1h': 'hour' }[history.bucket] || history.bucket;
    const ahead = this.forecast.length ? ` Forecast ${this.forecast.map((f) => `+${f.horizon_min}`).join('/')}\u00a0min.` : '';
    $('chart-note').textContent = `Last ${hours}\u00a0h, mean per ${per}.${ahead}`;
  }
}
