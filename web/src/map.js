// The map: MapLibre GL JS drawing Tamna's own road network on an empty dark style. No tiles, no glyphs, no
// sprites: everything drawn comes from this server, so the map works offline.

import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';

export const COLORS = {
  background: '#0b1220', free: '#22c55e', slow: '#f59e0b', jam: '#ef4444', none: '#46546c',
  bus: '#facc15', sensor: '#22d3ee', incident: '#fb7185', signal: '#e879f9', selected: '#f8fafc',
};
const EMPTY = { type: 'FeatureCollection', features: [] };
const STYLE = {
  version: 8,
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }],
};
const LANES = ['min', ['coalesce', ['get', 'lanes'], 1], 6];
// A directed link is drawn beside its opposite (traffic keeps right), so both directions stay visible.
// zoom may only drive the top-level interpolation, so a wider variant is a second expression, not a sum
const width = (extra) => ['interpolate', ['exponential', 1.5], ['zoom'],
  10, ['+', extra, ['*', 0.45, LANES]], 13, ['+', extra, ['*', 1.1, LANES]], 16, ['+', extra, ['*', 3, LANES]],
  19, ['+', extra, ['*', 8, LANES]]];
const OFFSET = ['interpolate', ['exponential', 1.5], ['zoom'],
  10, ['*', 0.3, LANES], 13, ['+', 0.6, ['*', 0.55, LANES]], 16, ['+', 1, ['*', 1.5, LANES]], 19, ['*', 4.5, LANES]];
/** The layers that draw the roads by live speed, and by the speed in 30 minutes. */
export const LINK_LAYERS = ['links'];
export const FORECAST_LAYERS = ['links-forecast'];
// feature-state "ratio" is live speed / free flow, "forecast" the same in 30 minutes; -1 (or unset) means none
const colourBy = (state) => ['step', ['coalesce', ['feature-state', state], -1],
  COLORS.none, 0, COLORS.jam, 0.5, COLORS.slow, 0.75, COLORS.free];

/** Which map layers each toggle in the side panel switches. */
export const LAYER_GROUPS = {
  links: [...LINK_LAYERS, 'links-selected'], sensors: ['sensors'], buses: ['buses'], incidents: ['incidents'],
  signals: ['signals'], forecast: FORECAST_LAYERS,
};
/** What a click picks first (a sensor before an incident, a bus, then a road), and the layers drawing each. */
const CLICK_ORDER = ['sensors', 'incidents', 'buses', 'links'];
const CLICKABLE = { sensors: ['sensors'], incidents: ['incidents'], buses: ['buses'], links: LINK_LAYERS };
const GROUP_OF = Object.fromEntries(Object.entries(CLICKABLE).flatMap(([group, ids]) => ids.map((id) => [id, group])));

/** Start MapLibre's worker while the network is still on its way, so that the map can begin at once. */
export function prewarm() {
  maplibregl.prewarm();
}

function boundsOf(geojson) {
  const bounds = new maplibregl.LngLatBounds();
  for (const feature of geojson.features) for (const point of feature.geometry.coordinates) bounds.extend(point);
  return bounds.isEmpty() ? null : bounds;
}

/** Every road, coloured by feature-state ``state``. */
function roadLayer(id, state, visibility = 'visible') {
  return {
    id, type: 'line', source: 'links',
    layout: { 'line-cap': 'butt', 'line-join': 'round', visibility },
    paint: { 'line-color': colourBy(state), 'line-width': width(0), 'line-offset': OFFSET },
  };
}

function layers() {
  return [
    STYLE.layers[0],
    {
      id: 'links-selected', type: 'line', source: 'links', filter: ['==', ['get', 'id'], ''],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': COLORS.selected, 'line-width': width(5), 'line-offset': OFFSET, 'line-opacity': 0.9 },
    },
    roadLayer('links', 'ratio'),
    // drawn over the live colours, line for line, when the operator asks for the speed in 30 minutes; hidden at
    // first, so the worker cuts no tiles for it before the first view
    roadLayer('links-forecast', 'forecast', 'none'),
    {
      id: 'signals', type: 'circle', source: 'signals', minzoom: 12,
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 1.5, 16, 4], 'circle-color': COLORS.signal },
    },
    {
      id: 'sensors', type: 'circle', source: 'sensors',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 16, 6], 'circle-color': COLORS.sensor,
        'circle-stroke-color': COLORS.background, 'circle-stroke-width': 1,
      },
    },
    {
      id: 'incidents', type: 'circle', source: 'incidents',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 6, 16, 11], 'circle-color': COLORS.incident,
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
      },
    },
    {
      id: 'buses', type: 'circle', source: 'buses',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 16, 7], 'circle-color': COLORS.bus,
        'circle-stroke-color': COLORS.background, 'circle-stroke-width': 1.5,
      },
    },
  ];
}

export class CityMap {
  /**
   * A map of ``network`` (GeoJSON links) with the given ``points`` ({sensors, buses}: arrays of features), framed
   * on the network from the first frame. Everything the first view shows is in the style it starts with, so the
   * worker cuts tiles once instead of once per layer added afterwards.
   */
  constructor(container, network, points = {}) {
    const sources = {
      links: { type: 'geojson', data: network, promoteId: 'id', buffer: 16, tolerance: 0.25 },
    };
    // points are cut into zoom-12 tiles and over-zoomed beyond (still placed to about a metre): fewer tiles to
    // recut each time the buses move
    for (const id of ['sensors', 'buses', 'incidents', 'signals']) {
      const features = points[id] || [];
      sources[id] = { type: 'geojson', data: { ...EMPTY, features }, promoteId: 'id', maxzoom: 12, buffer: 16 };
    }
    const bounds = boundsOf(network);
    this.bounds = bounds;
    this.map = new maplibregl.Map({
      container,
      style: { ...STYLE, sources, layers: layers() },
      ...(bounds ? { bounds, fitBoundsOptions: { padding: 24 } } : { center: [0, 0], zoom: 1 }),
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      fadeDuration: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    // live states and points can be set once the style is in, without waiting for the roads to be cut into tiles
    this.styled = new Promise((resolve) => this.map.once('style.load', resolve));
  }

  /** Frame the whole network again (after the window changed size, say). */
  fitCity() {
    if (this.bounds) this.map.fitBounds(this.bounds, { padding: 24, animate: false });
  }

  setLinkRatio(linkId, ratio) {
    this.map.setFeatureState({ source: 'links', id: linkId }, { ratio: ratio ?? -1 });
  }

  clearLink(linkId) {
    this.map.removeFeatureState({ source: 'links', id: linkId }, 'ratio');
  }

  /** ``ratio`` is the forecast speed / free flow, or null for no forecast. */
  setLinkForecast(linkId, ratio) {
    this.map.setFeatureState({ source: 'links', id: linkId }, { forecast: ratio ?? -1 });
  }

  setPoints(source, features) {
    this.map.getSource(source).setData({ type: 'FeatureCollection', features });
  }

  setVisible(group, visible) {
    for (const layer of LAYER_GROUPS[group]) this.map.setLayoutProperty(layer, 'visibility', visible ? 'visible' : 'none');
  }

  select(linkId) {
    this.map.setFilter('links-selected', ['==', ['get', 'id'], linkId || '']);
  }

  /** The most interesting feature near a screen point, as {group, properties}: a sensor before an incident, a
   * bus, then a road (``group`` is one of CLICK_ORDER). */
  pick(point) {
    const layers = CLICK_ORDER.flatMap((group) => CLICKABLE[group])
      .filter((id) => this.map.getLayoutProperty(id, 'visibility') !== 'none');
    const rank = (hit) => CLICK_ORDER.indexOf(GROUP_OF[hit.layer.id]);
    // the pixel itself first, so that of two directions drawn side by side the one under the pointer wins;
    // then a small box, because thin lines are hard to hit
    for (const where of [point, [[point.x - 5, point.y - 5], [point.x + 5, point.y + 5]]]) {
      const hits = this.map.queryRenderedFeatures(where, { layers });
      if (hits.length) {
        const best = hits.reduce((chosen, hit) => (rank(hit) < rank(chosen) ? hit : chosen));
        return { group: GROUP_OF[best.layer.id], properties: best.properties };
      }
    }
    return null;
  }

  /** Resolves once the map has drawn what it was given, with links on screen when there are any. */
  whenDrawn(expectLinks) {
    return new Promise((resolve) => {
      const check = () => {
        if (!expectLinks || this.map.queryRenderedFeatures({ layers: LINK_LAYERS }).length > 0) resolve();
        else this.map.once('idle', check);
      };
      this.map.once('idle', check);
    });
  }
}
