// An operator's commands in the signal card: put the signal under another controller, hold one of its green
// phases, release the hold. Shown only while an operator key is set (operator.js) and only for a signal a Tamna
// controller can run. Every command is PUT /api/v1/signals/{id}/controller; the server applies it through the
// safety timer and logs who sent it, so the page adds no rule of its own: it shows what the server answered,
// the signal on success and the problem's detail on a refusal.

import { onOperatorChange, operatorRequest, signedIn } from './operator.js';

const NETWORK_PROGRAM = 'network-program';

/** The controllers the server knows (GET /api/v1/signals/controllers), asked for once per page. */
let catalogue = null;
function loadCatalogue() {
  catalogue ??= fetch('/api/v1/signals/controllers')
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .catch(() => {
      setTimeout(() => { catalogue = null; }, 30_000); // asked again later, not on every poll of the card
      return null;
    });
  return catalogue;
}

function button(text, onClick, attributes = {}) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.addEventListener('click', onClick);
  return element;
}

export class SignalControls {
  /** ``onSignal(signal)``: the server answered a command with the signal as it now is. The element is built once
   * and kept across the card's refreshes, so that a choice being made is not thrown away every poll. */
  constructor({ onSignal }) {
    this.onSignal = onSignal;
    this.signal = null;
    this.busy = false;
    this.choiceStale = true;
    this.element = document.createElement('div');
    this.element.className = 'signal-ops';
    this.panel = document.createElement('div');
    this.panel.className = 'ops';
    this.select = document.createElement('select');
    this.select.id = 'signal-controller';
    this.select.setAttribute('aria-label', 'Controller');
    this.apply = button('Apply', () => this.send({ controller: this.select.value }), { id: 'signal-apply' });
    const choose = document.createElement('div');
    choose.className = 'row';
    choose.append(this.select, this.apply);
    this.holds = document.createElement('div');
    this.holds.className = 'row';
    this.panel.append(choose, this.holds);
    this.note = document.createElement('div');
    this.note.className = 'note';
    // outside the panel: a refusal that signed the operator out is still read after the controls have gone
    this.message = document.createElement('div');
    this.message.className = 'message';
    this.message.dataset.field = 'command-message';
    this.message.setAttribute('role', 'status');
    this.element.append(this.panel, this.note, this.message);
    onOperatorChange(() => this.show(this.signal));
  }

  /** Show the controls for ``signal`` (or nothing for none); a different signal starts with a clean slate. */
  show(signal) {
    const other = !this.signal || !signal || this.signal.id !== signal.id;
    this.signal = signal;
    if (other) {
      this.say('');
      this.choiceStale = true; // the selector shows this signal's controller once the list is there
    }
    const operator = signedIn() && Boolean(signal);
    this.panel.hidden = !operator || !signal.controllable;
    this.note.hidden = !operator || signal.controllable;
    this.note.textContent = 'A Tamna controller cannot run this signal (fewer than two green phases).';
    if (this.panel.hidden) return;
    this.fillSelect(signal);
    this.fillHolds(signal);
    this.setBusy(this.busy);
  }

  async fillSelect(signal) {
    const known = await loadCatalogue();
    if (this.signal !== signal) return; // another refresh or signal came meanwhile
    // without the list, the controller in charge is still offered, so that Apply cannot hand a signal back unasked
    const current = signal.controller === NETWORK_PROGRAM ? [] : [{ name: signal.controller, summary: '' }];
    const entries = known ? known.controllers : current;
    const wanted = [...entries.map((c) => c.name), NETWORK_PROGRAM];
    const have = [...this.select.options].map((option) => option.value);
    if (have.join() !== wanted.join()) {
      this.select.replaceChildren();
      for (const entry of entries) {
        const label = entry.name === known?.best ? `${entry.name} (recommended)` : entry.name;
        const option = new Option(label, entry.name);
        option.title = entry.summary;
        this.select.add(option);
      }
      this.select.add(new Option("network program (the network's own plan)", NETWORK_PROGRAM));
      this.choiceStale = true;
    }
    if (!known && !this.message.textContent) this.say('The list of controllers could not be loaded.', true);
    // the operator's pending choice survives the card's refreshes; a new signal or a new list shows the current one
    if (this.choiceStale && wanted.includes(signal.controller)) this.select.value = signal.controller;
    this.choiceStale = false;
  }

  fillHolds(signal) {
    const shown = `${signal.phases}/${signal.held}`;
    if (this.holds.dataset.shown === shown) return;
    this.holds.dataset.shown = shown;
    const label = document.createElement('span');
    label.textContent = 'Hold green';
    label.className = 'label';
    const buttons = [];
    for (let phase = 0; phase < signal.phases; phase += 1) {
      buttons.push(button(String(phase), () => this.send({ hold: phase }), {
        'data-hold': String(phase), title: `Hold green phase ${phase}`, 'aria-pressed': String(signal.held === phase),
      }));
    }
    if (signal.held !== null && signal.held !== undefined) {
      buttons.push(button('Release', () => this.send({ hold: null }), { 'data-hold': 'release', title: 'Release the hold' }));
    }
    this.holds.replaceChildren(label, ...buttons);
  }

  setBusy(busy) {
    this.busy = busy;
    for (const control of this.element.querySelectorAll('button, select')) control.disabled = busy;
  }

  async send(command) {
    const signal = this.signal;
    if (!signal || this.busy) return;
    this.setBusy(true);
    this.say('Sending…');
    const url = `/api/v1/signals/${encodeURIComponent(signal.id)}/controller`;
    const answer = await operatorRequest(url, { method: 'PUT', body: command });
    this.setBusy(false);
    if (this.signal?.id !== signal.id) return; // the card moved on to another signal meanwhile
    if (!answer.ok) {
      const detail = /[.!?]$/.test(answer.detail) ? answer.detail : `${answer.detail}.`;
      const gone = answer.status === 401 || answer.status === 403 ? ' You are signed out; sign in with an operator key.' : '';
      this.say(`${detail}${gone}`, true);
      return;
    }
    const now = answer.data;
    if ('controller' in command) this.say(`Now under ${now.controller}.`);
    else if (command.hold === null) this.say('Hold released.');
    else this.say(`Holding green phase ${now.held}.`);
    this.onSignal(now);
    if ('controller' in command) this.select.value = now.controller;
  }

  say(text, refused = false) {
    this.message.textContent = text;
    this.message.dataset.state = refused ? 'refused' : '';
  }
}
