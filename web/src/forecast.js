// Live forecasts from GET /api/v1/forecasts: what a link's chart draws after "now", the "Speed in 30 min" map
// layer, and the words that say which model made them. The server falls back to the last reading when it has no
// usable model and says why (fallback, fallback_reason); the page repeats that, never passing a baseline off as a
// model's forecast.

export const MAP_HORIZON_MIN = 30;
const REFRESH_MS = 60_000; // the server forecasts once per 5-minute interval; a minute keeps the layer close to it

export async function fetchForecasts(query) {
  const response = await fetch(`/api/v1/forecasts?${new URLSearchParams(query)}`);
  if (!response.ok) throw new Error(`forecasts answered ${response.status}`);
  return response.json();
}

/**
 * Who made ``forecasts`` (rows of the API), in words for the page: {state, label, band, reason}.
 * ``state`` is ``model``, ``stale`` (a model exists but is too old, so the baseline is shown), ``baseline`` (no
 * usable model), or ``none`` (nothing forecast for these roads yet).
 */
export function describe(forecasts) {
  if (!forecasts.length) {
    const label = 'none for this road yet (issued every 5 min for roads with a recent reading)';
    return { state: 'none', label, band: '', reason: '' };
  }
  const fallbacks = forecasts.filter((f) => f.fallback);
  const modelled = forecasts.find((f) => !f.fallback);
  if (modelled) {
    // a model that does not know every sensor leaves those roads to the baseline: say how many
    const roads = (rows) => new Set(rows.map((f) => f.link_id ?? f.sensor_ids.join())).size;
    const partly = fallbacks.length ? ` (baseline on ${roads(fallbacks)} of ${roads(forecasts)} roads)` : '';
    return {
      state: 'model', label: `model ${modelled.model}${partly}`, band: "band: 80 % of the model's validation errors",
      reason: fallbacks.length ? fallbacks[0].fallback_reason || '' : '',
    };
  }
  const reason = fallbacks[0].fallback_reason || '';
  const stale = /stale/i.test(reason);
  let label = 'baseline (no model): last reading held';
  if (stale) label = 'stale model: baseline shown (last reading held)';
  else if (/does not know/i.test(reason)) label = 'baseline (road not covered by the model): last reading held';
  return {
    state: stale ? 'stale' : 'baseline',
    label,
    band: "band: 80 % of the baseline's recent errors",
    reason,
  };
}

/** Show ``description`` in ``element`` (the chart's and the legend's notes look alike). */
export function showNote(element, description) {
  element.dataset.state = description.state;
  element.textContent = [description.label, description.band].filter(Boolean).join(' · ');
  element.title = description.reason;
  if (description.reason) {
    const why = document.createElement('small');
    why.textContent = ` (${description.reason})`;
    element.append(why);
  }
}

/** The map's "Speed in 30 min" layer: forecast speed against free flow, kept fresh while it is on. */
export class ForecastLayer {
  /** ``reference(linkId)`` is a link's free-flow speed (or its limit); ``onNote`` receives who forecast. */
  constructor({ cityMap, reference, onNote }) {
    this.cityMap = cityMap;
    this.reference = reference;
    this.onNote = onNote;
    this.shown = new Set(); // links that carry a forecast colour now
    this.timer = null;
    this.byLink = new Map(); // link id → its 30-minute forecast row
  }

  setOn(on) {
    clearInterval(this.timer);
    this.timer = null;
    this.cityMap.setVisible('forecast', on);
    if (!on) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  async refresh() {
    let rows;
    try {
      rows = await fetchForecasts({ horizon_min: MAP_HORIZON_MIN });
    } catch {
      return; // the next refresh tries again; the colours shown stay
    }
    const onLinks = rows.filter((row) => row.link_id !== null);
    const fresh = new Map(onLinks.map((row) => [row.link_id, row]));
    for (const id of this.shown) if (!fresh.has(id)) this.cityMap.setLinkForecast(id, null);
    this.shown.clear();
    for (const [id, row] of fresh) {
      const reference = this.reference(id);
      if (!reference) continue;
      this.cityMap.setLinkForecast(id, row.speed_kmh / reference);
      this.shown.add(id);
    }
    this.byLink = fresh;
    this.cityMap.map.triggerRepaint();
    this.onNote(describe(onLinks));
  }
}
