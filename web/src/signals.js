// The twin's signals on the map: one circle per signalised intersection, filled with what it shows now (green,
// yellow, or red for an all-red), ringed in violet when a Tamna controller runs it and in grey when the network's
// own program does. A click opens a small card with the controller in charge, the phase and how long it has run,
// and for a signed-in operator the commands of signal-controls.js. Polls GET /api/v1/signals (public); a server
// without a twin answers an empty list and nothing is drawn.

import { SignalControls } from './signal-controls.js';

const SOURCE = 'signals-live';
export const SIGNAL_LAYER = 'signals-live';
const POLL_MS = 2000;
const FILL = { green: '#22c55e', yellow: '#f59e0b', 'all-red': '#ef4444' };
const RING = { tamna: '#a78bfa', program: '#94a3b8' };
const EMPTY = { type: 'FeatureCollection', features: [] };

function feature(signal) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [signal.lon, signal.lat] },
    properties: {
      id: signal.id,
      stage: signal.stage,
      controller: signal.controller,
      tamna: signal.controller !== 'network-program',
      phase: signal.phase,
      phase_name: signal.phase_name,
      in_phase_s: signal.in_phase_s,
      held: signal.held ?? -1,
      preempted: signal.preempted ?? -1,
    },
  };
}

export class SignalLayer {
  /** ``map``: the MapLibre map (its style loaded). */
  constructor(map) {
    this.map = map;
    this.signals = new Map();
    this.timer = null;
    this.card = null;
    this.info = null;
    this.openId = null;
    this.controls = new SignalControls({ onSignal: (signal) => this.answered(signal) });
    map.addSource(SOURCE, { type: 'geojson', data: EMPTY, promoteId: 'id' });
    map.addLayer({
      id: SIGNAL_LAYER, type: 'circle', source: SOURCE,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3, 14, 5, 17, 9],
        'circle-color': ['match', ['get', 'stage'], 'green', FILL.green, 'yellow', FILL.yellow, FILL['all-red']],
        'circle-stroke-color': ['case', ['get', 'tamna'], RING.tamna, RING.program],
        'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 11, 1, 16, 2.5],
      },
    });
    map.on('click', SIGNAL_LAYER, (event) => {
      const hit = event.features && event.features[0];
      if (hit) this.open(hit.properties.id, event.point);
    });
    map.on('mouseenter', SIGNAL_LAYER, () => { map.getCanvas().style.cursor = 'pointer'; });
    // the side panel's "Signals" switch shows or hides this layer too
    const toggle = document.querySelector('input[data-layer="signals"]');
    if (toggle) {
      toggle.addEventListener('change', () => {
        map.setLayoutProperty(SIGNAL_LAYER, 'visibility', toggle.checked ? 'visible' : 'none');
        if (!toggle.checked) this.close();
      });
    }
  }

  start() {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), POLL_MS);
  }

  async refresh() {
    let list;
    try {
      const response = await fetch('/api/v1/signals');
      if (!response.ok) return;
      list = await response.json();
    } catch {
      return;
    }
    this.signals = new Map(list.map((s) => [s.id, s]));
    const placed = list.filter((s) => Number.isFinite(s.lon) && Number.isFinite(s.lat));
    this.map.getSource(SOURCE).setData({ type: 'FeatureCollection', features: placed.map(feature) });
    if (this.openId) this.fill(this.signals.get(this.openId));
  }

  /** A command's answer is the signal as it now is: shown at once rather than at the next poll. */
  answered(signal) {
    this.signals.set(signal.id, signal);
    if (this.openId === signal.id) this.fill(signal);
  }

  /** The card of signal ``id`` beside the screen point ``point``. */
  open(id, point) {
    this.openId = id;
    if (!this.card) {
      this.card = document.createElement('div');
      this.card.id = 'signal-card';
      this.card.setAttribute('role', 'dialog');
      Object.assign(this.card.style, {
        position: 'absolute', zIndex: 5, minWidth: '200px', padding: '8px 10px', borderRadius: '6px',
        background: '#111827', color: '#e5e7eb', border: '1px solid #374151', font: '12px system-ui, sans-serif',
        boxShadow: '0 4px 12px rgba(0,0,0,.4)',
      });
      this.info = document.createElement('div');
      this.card.append(this.info, this.controls.element);
      this.map.getContainer().appendChild(this.card);
    }
    this.card.hidden = false;
    this.fill(this.signals.get(id));
    // beside the point, but kept inside the map: with an operator's commands the card is wider than a label
    const room = this.map.getContainer();
    const left = Math.max(4, Math.min(point.x + 12, room.clientWidth - this.card.offsetWidth - 4));
    const top = Math.max(4, Math.min(point.y + 12, room.clientHeight - this.card.offsetHeight - 4));
    Object.assign(this.card.style, { left: `${left}px`, top: `${top}px` });
  }

  close() {
    this.openId = null;
    this.controls.show(null);
    if (this.card) this.card.hidden = true;
  }

  fill(signal) {
    if (!this.card || this.card.hidden) return;
    this.info.replaceChildren();
    this.controls.show(signal ?? null);
    if (!signal) {
      this.info.textContent = 'This signal is no longer in the twin.';
      return;
    }
    const line = (label, value, name) => {
      const row = document.createElement('div');
      const key = document.createElement('span');
      key.textContent = `${label}: `;
      key.style.color = '#9ca3af';
      const text = document.createElement('span');
      text.textContent = value;
      if (name) text.dataset.field = name;
      row.append(key, text);
      this.info.append(row);
    };
    const title = document.createElement('b');
    title.textContent = `Signal ${signal.id}`;
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = '×';
    close.setAttribute('aria-label', 'close');
    Object.assign(close.style, { float: 'right', background: 'none', border: 'none', color: '#9ca3af', cursor: 'pointer' });
    close.addEventListener('click', () => this.close());
    this.info.append(close, title);
    const controller = signal.controller === 'network-program' ? 'network program (no Tamna control)' : signal.controller;
    line('Controller', controller, 'controller');
    line('Phase', `${signal.phase_name} · ${signal.stage}`, 'phase');
    line('In phase', `${Math.round(signal.in_phase_s)} s`, 'in-phase');
    if (signal.held !== null && signal.held !== undefined) line('Held by operator', `green phase ${signal.held}`, 'held');
    if (signal.preempted !== null && signal.preempted !== undefined) {
      line('Emergency preemption', `green phase ${signal.preempted}`, 'preempted');
    }
  }
}
