// The digital twin's clock and, for operators, its controls. Viewers see the clock only; once an operator has
// signed in (operator.js keeps the key) the controls appear.

import * as fmt from './format.js';
import { onOperatorChange, operatorRequest, signedIn } from './operator.js';

const $ = (id) => document.getElementById(id);

export class TwinPanel {
  constructor({ timeZone, onVehicles }) {
    this.timeZone = timeZone;
    this.onVehicles = onVehicles;
    this.status = null;
    this.busy = false;
    onOperatorChange(() => this.render());
    $('twin-pause').addEventListener('click', () => this.control({ action: this.status?.paused ? 'resume' : 'pause' }));
    $('twin-step').addEventListener('click', () => this.control({ action: 'step' }));
    $('twin-rate').addEventListener('change', (event) => {
      const value = event.target.value;
      this.control({ speed: value === 'max' ? 'max' : Number(value) });
    });
  }

  /** Ask the server whether a twin runs; hide everything when it has none (404). */
  async refresh() {
    let response;
    try {
      response = await fetch('/api/v1/twin');
    } catch {
      return;
    }
    if (response.status === 404) {
      this.status = null;
      $('twin').hidden = true;
      return;
    }
    if (!response.ok) return;
    this.status = await response.json();
    this.render();
  }

  /** A "twin" message of the live stream: {sim_time, vehicles_running, speed, paused}. */
  tick(tick) {
    if (!this.status) {
      this.refresh(); // the twin started after the page loaded
      return;
    }
    this.status = { ...this.status, time: tick.sim_time, vehicles_running: tick.vehicles_running,
      speed: tick.speed, paused: tick.paused };
    this.render();
  }

  render() {
    const status = this.status;
    if (!status) return;
    $('twin').hidden = false;
    $('twin-clock').textContent = status.time ? fmt.dateTime(status.time, this.timeZone) : '–';
    $('twin-clock').dateTime = status.time || '';
    const state = status.error ? 'error' : status.paused ? 'paused' : (status.status || 'running');
    $('twin-state').textContent = status.error ? `error: ${status.error}` : state;
    $('twin-state').dataset.state = state;
    // speed is simulated seconds per wall second; 0 runs as fast as the machine allows
    const rateLabel = status.speed === 0 ? 'max' : `×${status.speed}`;
    $('twin-rate-now').textContent = status.speed === undefined || status.speed === null ? '' : rateLabel;
    if (status.scenario) $('twin-state').title = `scenario: ${status.scenario}`;
    this.onVehicles(status.vehicles_running ?? null);
    $('twin-controls').hidden = !signedIn();
    $('twin-pause').textContent = status.paused ? 'Resume' : 'Pause';
    const rate = $('twin-rate');
    if (typeof status.speed === 'number' && document.activeElement !== rate) {
      const value = status.speed === 0 ? 'max' : String(status.speed);
      if (![...rate.options].some((option) => option.value === value)) rate.add(new Option(rateLabel, value));
      rate.value = value;
    }
  }

  async control(body) {
    if (!signedIn() || this.busy) return;
    this.busy = true;
    this.say('');
    try {
      const answer = await operatorRequest('/api/v1/twin/control', { body });
      if (answer.status === 401) this.say('That key is not valid; sign in again.');
      else if (answer.status === 403) this.say('That key may not control the twin (operator needed).');
      else if (!answer.ok) this.say(answer.detail);
      else if (answer.data && typeof answer.data === 'object' && 'paused' in answer.data) {
        this.status = { ...this.status, ...answer.data };
      }
    } finally {
      this.busy = false;
      this.render();
    }
  }

  say(text) {
    $('twin-message').textContent = text;
  }
}
