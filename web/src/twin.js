// The digital twin's clock and, for operators, its controls. Viewers see the clock only; an operator pastes an
// API key once, kept in this tab's sessionStorage (never in localStorage or a cookie), and the controls appear.

import * as fmt from './format.js';

const $ = (id) => document.getElementById(id);
const KEY = 'tamna.operatorKey';

export class TwinPanel {
  constructor({ timeZone, onVehicles }) {
    this.timeZone = timeZone;
    this.onVehicles = onVehicles;
    this.status = null;
    this.busy = false;
    $('operator-signin').addEventListener('click', () => this.showSignIn(true));
    $('operator-cancel').addEventListener('click', () => this.showSignIn(false));
    $('operator-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('operator-key').value.trim();
      $('operator-key').value = '';
      if (!key) return;
      sessionStorage.setItem(KEY, key);
      this.showSignIn(false);
      this.render();
    });
    $('operator-signout').addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      this.render();
    });
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
    const operator = Boolean(sessionStorage.getItem(KEY));
    $('twin-controls').hidden = !operator;
    $('operator-signin').hidden = operator || !$('operator-form').hidden;
    $('twin-pause').textContent = status.paused ? 'Resume' : 'Pause';
    const rate = $('twin-rate');
    if (typeof status.speed === 'number' && document.activeElement !== rate) {
      const value = status.speed === 0 ? 'max' : String(status.speed);
      if (![...rate.options].some((option) => option.value === value)) rate.add(new Option(rateLabel, value));
      rate.value = value;
    }
  }

  showSignIn(show) {
    $('operator-form').hidden = !show;
    $('operator-signin').hidden = show;
    if (show) $('operator-key').focus();
  }

  async control(body) {
    const key = sessionStorage.getItem(KEY);
    if (!key || this.busy) return;
    this.busy = true;
    this.say('');
    try {
      const response = await fetch('/api/v1/twin/control', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      if (response.status === 401 || response.status === 403) {
        sessionStorage.removeItem(KEY);
        this.say(response.status === 401 ? 'That key is not valid; sign in again.' : 'That key may not control the twin (operator needed).');
      } else if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        this.say(problem.detail || `The twin refused (${response.status}).`);
      } else {
        const status = await response.json().catch(() => null);
        if (status && typeof status === 'object' && 'paused' in status) this.status = { ...this.status, ...status };
      }
    } catch {
      this.say('The server did not answer.');
    } finally {
      this.busy = false;
      this.render();
    }
  }

  say(text) {
    $('twin-message').textContent = text;
  }
}
