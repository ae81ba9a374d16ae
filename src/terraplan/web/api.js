"use strict";
// Shared state and the one way the UI talks to the API (session cookie + CSRF header).
const TP = {
  config: JSON.parse(document.body.dataset.config || "{}"),
  plans: [],
  plan: null,       // {id, name, version, status, based_on_plan_id}
  mapData: null,    // GET /plans/{id}/map
};

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)terraplan_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// The API's messages also serve the command line: its hints "(`terraplan ...`)" name
// commands a browser user has buttons for, so the UI leaves them out.
function forTheUi(message) {
  return message.replace(/\s*\((?:[^()`]*)`terraplan [^`]*`[^()]*\)/g, "").replace(/\s*`terraplan [^`]*`/g, "");
}

// A Python list in a server message ("the states ['XX', 'YY']") reads as code: "XX, YY".
function plainLists(message) {
  return message.replace(/\[((?:'[^'\]]*'(?:,\s*)?)+)\]/g, (_, items) => items.replace(/'/g, ""));
}

class ApiError extends Error {
  constructor(status, body) {
    super(forTheUi((body && body.error && body.error.message) || `request failed (${status})`));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const options = {method, headers: {}};
  if (method !== "GET") options.headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    // fetch fails with a bare TypeError ("Failed to fetch") when the server cannot be reached:
    // say that in words (status 0: no answer at all).
    throw new ApiError(0, {error: {message: "The server cannot be reached; check your connection and try again."}});
  }
  if (response.status === 401) { sessionEnded(); throw new ApiError(401, null); }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A 409 on a stale version, in the server's words (who changed the plan and when) without the
// "reload it" hint (the UI reloads for the user). When the last change was this user's own
// (another tab or window, the API), it must not read as someone else's: say it was theirs.
function staleWords(error) {
  let said = error.message.replace(/;?\s*reload it and try again\.?$/, "");
  const details = (error.body && error.body.error && error.body.error.details) || {};
  const me = TP.config.user && TP.config.user.username;
  if (me && details.by === me) {
    const before = said;
    said = said.replace("changed by someone else", "changed elsewhere");
    said = said.replace(/(last changed by [^)]*)\)/, "$1 — that is you, in another tab or window)");
    // the server's wording may change: whatever it says, the user is told the change was theirs
    if (said === before) said += " (that is you, in another tab or window)";
  }
  return said;
}

// The session ended (expired, signed out in another tab, user disabled): keep what the user
// typed in this tab's sessionStorage, let the sign-in page say why, and put it back after
// sign-in (restoreTyped in app.js). Only this tab sees it; a different user gets none of it.
const KEPT_KEY = "terraplan-kept";

function typedFields() {
  const fields = {};
  for (const node of document.querySelectorAll("textarea[id], input[id]")) {
    const type = (node.getAttribute("type") || "text").toLowerCase();
    if (!["text", "search"].includes(type) || node.readOnly || node.disabled) continue;
    if (!node.value || node.value === node.defaultValue || node.offsetParent === null) continue;
    fields[node.id] = node.value;
  }
  return fields;
}

function sessionEnded() {
  if (TP.sessionEnded) return;  // several requests may meet the same ended session
  TP.sessionEnded = true;
  try {
    sessionStorage.setItem(KEPT_KEY, JSON.stringify({
      user: TP.config.user && TP.config.user.username, view: typeof TPViews === "undefined" ? null : TPViews.current,
      fields: typedFields(),
    }));
  } catch (e) { /* storage full or blocked: the sign-in page still says why */ }
  window.location.reload();
}

// A view that is loading says so (aria-busy and a "Loading…" line) until every load it
// started has settled; an empty view must not read as "no data".
function withBusy(viewId, promise) {
  const view = document.getElementById(viewId);
  view.busyCount = (view.busyCount || 0) + 1;
  view.setAttribute("aria-busy", "true");
  let line = view.querySelector(":scope > .loading");
  if (!line) { line = el("p", {class: "loading", role: "status"}, "Loading…"); view.prepend(line); }
  line.hidden = false;
  const done = () => {
    view.busyCount -= 1;
    if (view.busyCount > 0) return;
    view.setAttribute("aria-busy", "false");
    line.hidden = true;
  };
  return Promise.resolve(promise).finally(done);
}

function say(text, kind) {
  const el = document.getElementById("message");
  el.textContent = text || "";
  el.className = kind || "";
}

// An error said by an earlier action must not stay up once the user has moved on (another
// tab, or an action that worked since): it would read as if it concerned what is shown now.
function clearError() {
  if (document.getElementById("message").className === "error") say("");
}

// A server note as a sentence: a full stop added unless it ends with one already (a note cut
// with "..." must not end with "....").
function sentence(text) {
  const said = String(text ?? "").trim();
  return /[.!?…]$/.test(said) ? said : said + ".";
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
  return node;
}

function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "number") return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return (value / 1e6).toFixed(1) + "M";
  if (abs >= 1e4) return (value / 1e3).toFixed(0) + "k";
  if (abs >= 1e3) return (value / 1e3).toFixed(1) + "k";  // 5.5k, as the CLI, not 5522.28
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

// The API's times are UTC: shown with the zone said ("2026-12-06 04:51 UTC"), as the 409
// messages do, so that they cannot be read as the viewer's local time.
function utcTime(iso, length) {
  if (!iso) return "";
  return String(iso).slice(0, length || 16).replace("T", " ") + " UTC";
}

// Pipeline coverage (open pipeline / remaining target), one format everywhere: "3.2×".
function coverage(value) {
  return value === null || value === undefined || !isFinite(value) ? "" : value.toFixed(1) + "×";
}

function pct(value) {
  return value === null || value === undefined ? "" : (value >= 0 ? "+" : "") + (value * 100).toFixed(1) + " %";
}

// A button that an action disabled or hid (Move while the map updates, Submit once submitted,
// Undo with nothing left to undo) drops the keyboard focus to the top of the page. When the
// focus is lost so, it goes to the first of the candidates (elements or selectors) still shown
// and enabled; a focus the user has moved elsewhere meanwhile is left where it is.
function refocus(...candidates) {
  const shown = (node) => node && node.isConnected && node.offsetParent !== null && !node.disabled;
  const now = document.activeElement;
  if (now && now !== document.body && shown(now)) return;
  for (const c of candidates) {
    const nodes = typeof c === "string" ? [...document.querySelectorAll(c)] : [c];
    const node = nodes.find(shown);
    if (node) { node.focus(); return; }
  }
}

function canPlan() { return ["planner", "admin"].includes(TP.config.user.role); }
