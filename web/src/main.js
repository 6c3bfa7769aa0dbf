// Tamna's operations dashboard: the road network coloured by live speed, sensors, buses, incidents and signals,
// city KPIs, a chart for any clicked road or sensor, and the digital twin's clock, all kept live by the server's
// event stream. Data shown comes from the API of the server that served the page, and from nowhere else.

import { CityMap, FORECAST_LAYERS, LAYER_GROUPS, LINK_LAYERS, prewarm } from './map.js';
import { ForecastLayer, MAP_HORIZON_MIN, showNote } from './forecast.js';
import { DetailsPanel, KpiPanel } from './panels.js';
import { connectStream } from './stream.js';
import { TwinPanel } from './twin.js';
import { bindSignIn } from './operator.js';
import { SignalLayer } from './signals.js';
import * as fmt from './format.js';

performance.mark('tamna:script');
const $ = (id) => document.getElementById(id);
const meta = (name) => document.querySelector(`meta[name="tamna-${name}"]`).content;
const config = { city: meta('city'), timeZone: meta('timezone'), windowS: Number(meta('live-window-s')) };
const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/;
const POLL_MS = 10_000;
const RESYNC_MS = 60_000;

/** What the page knows; exposed as ``window.tamna`` for operators' consoles and the browser tests. */
const app = {
  config,
  ready: false, // the map exists and takes live states
  drawn: false, // the first view is on screen
  links: new Map(), // id → network properties
  states: new Map(), // id → latest live state
  sensors: new Map(),
  incidents: new Map(),
  buses: 0,
  serverTime: null,
  streamStatus: 'connecting',
  received: { links: 0, kpis: 0, vehicles: 0, twin: 0, incidents: 0 },
  forecastOn: false, // the map shows the speed in 30 minutes instead of now
  linkLayers: LINK_LAYERS, // the map layers that draw the roads (one per lane count), and their forecast twins
  forecastLayers: FORECAST_LAYERS,
  linkDraws: [], // {links, receivedAt, drawnAt} (epoch ms) of recent live updates, for latency checks
};
window.tamna = app;

async function getJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/** Parts of the platform that may not be installed yet (the twin, incidents) answer 404: show nothing then. */
async function optionalJSON(url) {
  try {
    return await getJSON(url);
  } catch {
    return null;
  }
}

prewarm();
let cityMap = null; // made when the network has arrived
let forecastLayer = null; // the "Speed in 30 min" layer, made with the map
bindSignIn(); // one operator key for the twin's controls and the signals' commands
const kpis = new KpiPanel(config.timeZone);
const details = new DetailsPanel({ timeZone: config.timeZone, onClose: () => cityMap?.select(null) });
const twin = new TwinPanel({ timeZone: config.timeZone, onVehicles: (count) => kpis.setVehicles(count) });

// ---- live state ------------------------------------------------------------------------------------------------
function applyState(row) {
  const known = app.states.get(row.link_id);
  if (known && Date.parse(known.time) > Date.parse(row.time)) return false; // an older message overtaken
  app.states.set(row.link_id, row);
  if (app.ready) cityMap.setLinkRatio(row.link_id, row.speed_ratio);
  return true;
}

function onLinks(message) {
  const receivedAt = fmt.epochMs();
  app.received.links += 1;
  const changed = new Set(message.links.filter(applyState).map((row) => row.link_id));
  if (!changed.size) return;
  if (app.ready) {
    cityMap.map.once('render', () => {
      app.linkDraws.push({ links: [...changed], receivedAt, drawnAt: fmt.epochMs() });
      if (app.linkDraws.length > 200) app.linkDraws.shift();
    });
    cityMap.map.triggerRepaint();
  }
  const shown = details.current;
  if (shown && shown.linkId && changed.has(shown.linkId)) {
    details.showFacts(shown.kind === 'link' ? linkItem(shown.id).facts : sensorItem(shown.id).facts);
    details.touched(changed);
  }
}

function onKpis(message) {
  app.received.kpis += 1;
  app.serverTime = message.time;
  // the server counts the twin's vehicles from its ticks; until one arrives, the twin's status knows them
  kpis.show({ ...message, vehicles_in_network: message.vehicles_in_network ?? twin.status?.vehicles_running ?? null });
}

function onVehicles(message) {
  app.received.vehicles += 1;
  showBuses(message.vehicles || []);
}

function busFeatures(positions) {
  return positions
    .filter((v) => (v.kind || 'bus') === 'bus' && Number.isFinite(v.lon) && Number.isFinite(v.lat))
    .map((v) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [v.lon, v.lat] },
      properties: { id: v.vehicle_id, route_id: v.route_id ?? null, speed_kmh: v.speed_kmh ?? null },
    }));
}

function showBuses(positions) {
  const features = busFeatures(positions);
  app.buses = features.length;
  app.pendingBuses = features;
  // until the roads are drawn, moving buses wait: each move would cut their tiles again and hold the first view up
  if (app.drawn) cityMap.setPoints('buses', features);
  $('count-buses').textContent = fmt.number(features.length);
}

function onIncident(incident) {
  app.received.incidents += 1;
  if (!incident || !incident.id) return;
  if (incident.status === 'cleared') app.incidents.delete(incident.id);
  else app.incidents.set(incident.id, incident);
  showIncidents();
}

function showIncidents() {
  const features = [...app.incidents.values()]
    .filter((i) => Number.isFinite(i.lon) && Number.isFinite(i.lat))
    .map((i) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [i.lon, i.lat] },
      properties: { id: i.id, kind: i.kind, status: i.status, description: i.description ?? null },
    }));
  // an empty source is left alone: setting it again costs the map a frame, which the first view waits for
  if (app.ready && (features.length || app.incidentsDrawn)) {
    cityMap.setPoints('incidents', features);
    app.incidentsDrawn = features.length > 0;
  }
  $('count-incidents').textContent = fmt.number(features.length);
}

/** Reload the whole live state (after the stream was interrupted, or while it is down). */
async function resync() {
  try {
    const [rows, current] = await Promise.all([
      getJSON(`/api/v1/state/links?max_age_s=${config.windowS}`), getJSON('/api/v1/kpis'),
    ]);
    const fresh = new Set(rows.map((row) => row.link_id));
    for (const id of [...app.states.keys()]) {
      if (!fresh.has(id)) {
        app.states.delete(id);
        if (app.ready) cityMap.clearLink(id);
      }
    }
    rows.forEach(applyState);
    onKpis(current);
  } catch {
    // the next poll or stream message tries again
  }
}

/** Links whose last reading left the live window turn grey again, as the server's KPIs no longer count them. */
function sweepStale() {
  const now = app.serverTime ? Date.parse(app.serverTime) : Date.now();
  const cutoff = now - config.windowS * 1000;
  for (const [id, row] of app.states) {
    if (Date.parse(row.time) < cutoff) {
      app.states.delete(id);
      if (app.ready) cityMap.clearLink(id);
    }
  }
}

// ---- details ---------------------------------------------------------------------------------------------------
function reading(row) {
  if (!row) return [['Live reading', 'none in the last ' + Math.round(config.windowS / 60) + ' min']];
  return [
    ['Speed', `${fmt.number(row.speed_kmh, 1)} km/h` + (row.speed_ratio == null ? '' : ` (${fmt.percent(row.speed_ratio)} of free flow)`)],
    ['Flow', `${fmt.number(row.flow_vph)} veh/h`],
    ['Occupancy', row.occupancy_pct == null ? '–' : `${fmt.number(row.occupancy_pct, 1)} %`],
    ['Last reading', fmt.clock(row.time, config.timeZone)],
  ];
}

/** The speed that counts as uncongested on a link, as the server's ratios use it: free flow, else the limit. */
function referenceSpeed(id) {
  const link = app.links.get(id);
  return link ? link.freeflow_speed_kmh || link.speed_limit_kmh || null : null;
}

function linkItem(id) {
  const link = app.links.get(id) || { id };
  return {
    kind: 'link', id, linkId: id,
    title: link.name || 'Unnamed road',
    subtitle: `Link ${id}` + (link.road_class ? ` · road class ${link.road_class}` : ''),
    facts: [
      ...reading(app.states.get(id)),
      ['Lanes', fmt.number(link.lanes)],
      ['Length', `${fmt.number(link.length_m)} m`],
      ['Free-flow speed', link.freeflow_speed_kmh ? `${fmt.number(link.freeflow_speed_kmh, 1)} km/h` : '–'],
      ['Speed limit', link.speed_limit_kmh ? `${fmt.number(link.speed_limit_kmh)} km/h` : '–'],
    ],
    historyUrl: `/api/v1/links/${encodeURIComponent(id)}/recent?hours=6`,
    forecastFor: id,
    reference: referenceSpeed(id),
  };
}

function sensorItem(id) {
  const sensor = app.sensors.get(id) || { id };
  const link = sensor.link_id ? app.links.get(sensor.link_id) : null;
  return {
    kind: 'sensor', id, linkId: sensor.link_id,
    title: sensor.name || `Sensor ${id}`,
    subtitle: `${sensor.kind || 'sensor'} ${id}` + (link ? ` on ${link.name || 'link ' + link.id}` : ''),
    facts: [
      ...(sensor.link_id ? reading(app.states.get(sensor.link_id)).map(([k, v]) => [`Link ${k.toLowerCase()}`, v]) : []),
      ['Link', sensor.link_id || 'none'],
    ],
    historyUrl: `/api/v1/sensors/${encodeURIComponent(id)}/recent?hours=6`,
    forecastFor: sensor.link_id || null, // forecasts are per link, its sensors merged
    reference: sensor.link_id ? referenceSpeed(sensor.link_id) : null,
  };
}

function show(hit) {
  const props = hit.properties;
  const layer = hit.group;
  let item;
  if (layer === 'links') item = linkItem(props.id);
  else if (layer === 'sensors') item = sensorItem(props.id);
  else if (layer === 'buses') {
    item = { kind: 'bus', id: props.id, title: `Bus ${props.id}`, subtitle: props.route_id ? `route ${props.route_id}` : '',
      facts: [['Speed', props.speed_kmh == null ? '–' : `${fmt.number(props.speed_kmh)} km/h`]] };
  } else {
    const incident = app.incidents.get(props.id) || props;
    item = { kind: 'incident', id: props.id, title: `Incident: ${incident.kind || 'unknown'}`, subtitle: incident.status || '',
      facts: [['Reported', incident.reported_at ? fmt.clock(incident.reported_at, config.timeZone) : '–'],
        ['Description', incident.description || '–']] };
  }
  details.open(item);
  $('details-title').lang = HANGUL.test(item.title) ? 'ko' : 'en';
  cityMap.select(item.kind === 'link' ? item.id : item.linkId || null);
}

// ---- map interaction -------------------------------------------------------------------------------------------
function bindMap() {
  const map = cityMap.map;
  const tooltip = $('tooltip');
  map.on('click', (event) => {
    const hit = cityMap.pick(event.point);
    if (hit) show(hit);
  });
  let frame = 0;
  map.on('mousemove', (event) => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const hit = cityMap.pick(event.point);
      map.getCanvas().style.cursor = hit ? 'pointer' : '';
      if (!hit) {
        tooltip.hidden = true;
        return;
      }
      const props = hit.properties;
      const title = document.createElement('b');
      let rest = '';
      if (hit.group === 'links') {
        const link = app.links.get(props.id) || {};
        title.textContent = link.name || 'Unnamed road';
        title.lang = HANGUL.test(title.textContent) ? 'ko' : 'en';
        const row = app.states.get(props.id);
        rest = row ? ` · ${fmt.number(row.speed_kmh)} km/h, ${fmt.percent(row.speed_ratio)} of free flow` : ' · no live reading';
        const ahead = app.forecastOn ? forecastLayer.byLink.get(props.id) : null;
        if (ahead) rest += ` · in ${MAP_HORIZON_MIN} min ${fmt.number(ahead.speed_kmh)} km/h`;
      } else if (hit.group === 'sensors') {
        title.textContent = `Sensor ${props.id}`;
      } else if (hit.group === 'buses') {
        title.textContent = `Bus ${props.id}`;
        rest = props.route_id ? ` · route ${props.route_id}` : '';
      } else {
        title.textContent = `Incident: ${props.kind || ''}`;
      }
      tooltip.replaceChildren(title, document.createTextNode(rest));
      tooltip.style.left = `${event.point.x + 14}px`;
      tooltip.style.top = `${event.point.y + 14}px`;
      tooltip.hidden = false;
    });
  });
  map.on('mouseout', () => {
    tooltip.hidden = true;
  });
  for (const box of document.querySelectorAll('input[data-layer]')) {
    const group = box.dataset.layer;
    const saved = localStorage.getItem(`tamna.layer.${group}`);
    if (saved !== null) box.checked = saved === '1';
    const apply = () => (group === 'forecast' ? showForecastLayer(box.checked) : cityMap.setVisible(group, box.checked));
    if (group in LAYER_GROUPS && (group !== 'forecast' || box.checked)) apply();
    box.addEventListener('change', () => {
      localStorage.setItem(`tamna.layer.${group}`, box.checked ? '1' : '0');
      apply();
    });
  }
}

/** The map shows either live speeds or the speed in 30 minutes; the legend says which, and who forecast. */
function showForecastLayer(on) {
  app.forecastOn = on;
  forecastLayer.setOn(on);
  $('legend-title').textContent = on ? `Speed in ${MAP_HORIZON_MIN} min against free flow` : 'Speed against free flow';
  $('legend-forecast').hidden = !on;
  $('legend-none').textContent = on ? 'no forecast' : 'no live reading';
}

function midpoint(coordinates) {
  const [a, b] = [coordinates[0], coordinates[coordinates.length - 1]];
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

function sensorFeatures(sensors, network) {
  const geometry = new Map(network.features.map((f) => [f.properties.id, f.geometry.coordinates]));
  const features = [];
  for (const sensor of sensors) {
    app.sensors.set(sensor.id, sensor);
    let at = sensor.lon != null && sensor.lat != null ? [sensor.lon, sensor.lat] : null;
    if (!at && sensor.link_id && geometry.has(sensor.link_id)) at = midpoint(geometry.get(sensor.link_id));
    if (at) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { id: sensor.id } });
  }
  return features;
}

// ---- start -----------------------------------------------------------------------------------------------------
function setStatus(state) {
  app.streamStatus = state;
  $('conn').dataset.state = state;
  $('conn').textContent = { live: 'live', connecting: 'connecting', reconnecting: 'reconnecting', offline: 'offline, polling' }[state];
}

async function start() {
  $('city-label').textContent = `${config.city.charAt(0).toUpperCase()}${config.city.slice(1)} · ${config.timeZone}`;
  const tickClock = () => {
    $('city-clock').textContent = fmt.clock(Date.now(), config.timeZone);
  };
  // the wall clock starts once the map is under way: its first formatter costs the page tens of milliseconds
  const startClock = () => {
    tickClock();
    setInterval(tickClock, 1000);
  };

  // everything is asked for at once; the stream opens first so that nothing said meanwhile is missed
  const networkP = getJSON('/api/v1/network');
  const statesP = getJSON(`/api/v1/state/links?max_age_s=${config.windowS}`).catch(() => []);
  const sensorsP = optionalJSON('/api/v1/sensors');
  const vehiclesP = optionalJSON('/api/v1/vehicles');
  connectStream({
    events: { links: onLinks, kpis: onKpis, vehicles: onVehicles, twin: (tick) => twin.tick(tick), incidents: onIncident },
    onStatus: setStatus,
    onReopen: resync,
  });
  getJSON('/api/v1/kpis').then((k) => { if (!app.serverTime || k.time > app.serverTime) onKpis(k); }).catch(() => {});
  twin.refresh();

  let network;
  let vehicles;
  let sensorPoints;
  try {
    // the first view is drawn from these together (all asked for at once, and preloaded by the page)
    let sensors;
    [network, sensors, vehicles] = await Promise.all([networkP, sensorsP, vehiclesP]);
    sensorPoints = sensorFeatures(sensors || [], network);
  } catch (error) {
    $('map').textContent = `The road network could not be loaded: ${error.message}`;
    startClock();
    return;
  }
  if (Array.isArray(vehicles) && !app.received.vehicles) showBuses(vehicles);
  if (!vehicles && !app.received.vehicles) $('count-buses').textContent = 'no feed';
  const firstBuses = app.pendingBuses || [];
  cityMap = new CityMap('map', network, { sensors: sensorPoints, buses: firstBuses });
  app.map = cityMap.map;
  startClock();
  forecastLayer = new ForecastLayer({
    cityMap,
    reference: referenceSpeed,
    onNote: (description) => {
      showNote($('legend-forecast'), description);
      $('count-forecast').textContent = fmt.number(forecastLayer.shown.size);
      app.forecastDescription = description;
    },
  });
  app.forecasts = forecastLayer;
  app.fitCity = () => cityMap.fitCity();
  for (const feature of network.features) app.links.set(feature.properties.id, feature.properties);
  $('count-links').textContent = fmt.number(network.features.length);
  $('count-sensors').textContent = fmt.number(sensorPoints.length);
  await cityMap.styled;
  performance.mark('tamna:map-ready');
  // live colours are set before any tile is cut, so that tiles arrive already coloured
  (await statesP).forEach(applyState);
  app.ready = true;
  for (const [id, row] of app.states) cityMap.setLinkRatio(id, row.speed_ratio);
  showIncidents();
  bindMap();
  app.signals = new SignalLayer(cityMap.map); // the twin's live signal phases and controllers
  app.signals.start();

  performance.mark('tamna:sources-set');
  await cityMap.whenDrawn(network.features.length > 0);
  performance.mark('tamna:links-drawn');
  document.documentElement.dataset.ready = '1';
  app.drawn = true;
  if (app.pendingBuses && app.pendingBuses !== firstBuses) cityMap.setPoints('buses', app.pendingBuses); // moved since

  // signals and past incidents can wait until the roads are on screen
  const [signals, incidents] = await Promise.all([
    optionalJSON('/api/v1/network/nodes?kind=traffic_light'), optionalJSON('/api/v1/incidents'),
  ]);
  if (signals) {
    cityMap.setPoints('signals', signals.features);
    $('count-signals').textContent = fmt.number(signals.features.length);
  }
  for (const incident of Array.isArray(incidents) ? incidents : []) {
    if (!app.incidents.has(incident.id) && incident.status !== 'cleared') app.incidents.set(incident.id, incident);
  }
  showIncidents();

  setInterval(sweepStale, 30_000);
  // while the stream is down, poll; while it is up, still reload everything now and then, because a stream only
  // carries what its own server process stored (several workers) and nothing else may be missed for long
  let lastFull = Date.now();
  setInterval(() => {
    if (app.streamStatus !== 'live' || Date.now() - lastFull >= RESYNC_MS) {
      lastFull = Date.now();
      resync();
    }
  }, POLL_MS);
}

start();
