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
  const response = await fetch(path, options);
  if (response.status === 401) { window.location.reload(); throw new ApiError(401, null); }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function say(text, kind) {
  const el = document.getElementById("message");
  el.textContent = text || "";
  el.className = kind || "";
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

function pct(value) {
  return value === null || value === undefined ? "" : (value >= 0 ? "+" : "") + (value * 100).toFixed(1) + " %";
}

function canPlan() { return ["planner", "admin"].includes(TP.config.user.role); }
