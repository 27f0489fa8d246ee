// What every view shares: the key (this tab's session storage only), the API as relayctl calls it,
// a tiny element builder (text always goes in as text, never as HTML) and formatters.

const KEY = "sora-relay-key";

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signedIn: () => sessionStorage.getItem(KEY) !== null,
  keep: (key) => sessionStorage.setItem(KEY, key),
  forget: () => sessionStorage.removeItem(KEY),
};

export function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (session.key()) headers.Authorization = `Bearer ${session.key()}`;
  return headers;
}

// A JSON call; a refusal throws an Error with the API's message and the HTTP status.
export async function api(path, options = {}) {
  const headers = authHeaders(options.body ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, { ...options, headers });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const message = body?.error?.message || `${response.status} ${response.statusText}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

export const post = (path, body) =>
  api(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });

export const FINAL = new Set(["completed", "failed", "timeout", "cancelled"]);

// h("td", { className: "id" }, "text", childNode…): attributes starting with "on" are listeners,
// "data-…" and "aria-…" are attributes, the rest are properties.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role" || name === "for") element.setAttribute(name, value);
    else element[name] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "";
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString([], { hour12: false }) : "";
}

export function seconds(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

// One line of status text for an action's outcome, announced to screen readers.
export function say(element, text) {
  element.textContent = text;
}

// A button's POST: the button is disabled while it is under way (and stays so after a success when
// `once`, for actions that cannot be asked twice), and `status` says what came of it. True when the
// API took it.
export async function act(button, status, path, { done, refused, once = false }) {
  button.disabled = true;
  try {
    await post(path);
    say(status, done);
    button.disabled = once;
    return true;
  } catch (e) {
    say(status, `${refused}: ${e.message}`);
    button.disabled = false;
    return false;
  }
}
