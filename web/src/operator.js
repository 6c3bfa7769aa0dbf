// The operator's key, and requests made with it. A page served to anyone cannot hold a secret (ADR 5), so an
// operator pastes an API key once: it lives in this tab's sessionStorage only (gone with the tab; never in
// localStorage, a cookie or a URL, so it is sent with no request it was not meant for), goes out as a bearer
// header, and is never written to the console. A 401 or 403 forgets it: every command on this page needs an
// operator, so a key that is refused one will be refused them all.

const $ = (id) => document.getElementById(id);
const KEY = 'tamna.operatorKey';
const listeners = new Set();

export function operatorKey() {
  return sessionStorage.getItem(KEY);
}

export function signedIn() {
  return Boolean(operatorKey());
}

/** Call ``listener()`` whenever the operator signs in or out, so that controls appear or go. */
export function onOperatorChange(listener) {
  listeners.add(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

export function signIn(key) {
  sessionStorage.setItem(KEY, key);
  changed();
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  changed();
}

/** Send ``body`` (JSON) to ``url`` with the operator's key. Answers {ok, status, data, detail}: ``data`` the
 * parsed answer, ``detail`` what went wrong in words (a problem response's own detail when the server gave one),
 * so that a caller always has something to show. */
export async function operatorRequest(url, { method = 'POST', body } = {}) {
  const key = operatorKey();
  if (!key) return { ok: false, status: 0, data: null, detail: 'Sign in with an operator key first.' };
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: null, detail: 'The server did not answer.' };
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return { ok: true, status: response.status, data, detail: '' };
  if (response.status === 401 || response.status === 403) signOut();
  const detail = (data && typeof data.detail === 'string' && data.detail) || `The server refused (${response.status}).`;
  return { ok: false, status: response.status, data, detail };
}

/** Wire the header's sign-in: a button opens a password field, "Use key" keeps what was pasted, "Sign out"
 * forgets it. The field is emptied at once, so the key stays in the page no longer than it must. */
export function bindSignIn() {
  const form = $('operator-form');
  const field = $('operator-key');
  const show = (open) => {
    form.hidden = !open;
    $('operator-signin').hidden = open || signedIn();
    if (open) field.focus();
  };
  $('operator-signin').addEventListener('click', () => show(true));
  $('operator-cancel').addEventListener('click', () => show(false));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = field.value.trim();
    field.value = '';
    if (!key) return;
    form.hidden = true;
    signIn(key);
  });
  $('operator-signout').addEventListener('click', () => signOut());
  const render = () => {
    $('operator-signin').hidden = signedIn() || !form.hidden;
    $('operator-signout').hidden = !signedIn();
  };
  onOperatorChange(render);
  render();
}
