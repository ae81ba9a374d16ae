"use strict";
// Boot: who am I, the plans I can see, the tabs.
async function loadPlans(selectId) {
  TP.plans = await api("GET", "/plans");
  const select = document.getElementById("plan-select");
  // An active plan of a part of the market says which part: two "active" plans side by side
  // otherwise read as one too many.
  const state = (p) => p.status.replace("_", " ") + (p.status === "active" ? ` — ${p.scope || "whole market"}` : "");
  select.replaceChildren(...TP.plans.map((p) => el("option", {value: p.id}, `${p.name} (${p.id}, ${state(p)})`)));
  for (const id of ["compare-base", "compare-other"]) {
    const s = document.getElementById(id);
    s.replaceChildren(...TP.plans.map((p) => el("option", {value: p.id}, `${p.name} (${p.id})`)));
  }
  if (TP.plans.length > 1) document.getElementById("compare-other").selectedIndex = 1;
  const wanted = selectId || new URLSearchParams(location.hash.slice(1)).get("plan");
  // With no plan asked for, the plan in force for the user opens: the active plan of their
  // region when there is one (a West what-if activated for the West), else the whole market's,
  // else any active one (not an archived one listed first).
  const region = ((TP.config.user && TP.config.user.region) || "").trim().toLowerCase();
  const actives = TP.plans.filter((p) => p.status === "active");
  const active = actives.find((p) => region && (p.scope || "").trim().toLowerCase() === region)
    || actives.find((p) => !p.scope) || actives[0];
  if (wanted && TP.plans.some((p) => p.id === wanted)) select.value = wanted;
  else if (active) select.value = active.id;
}

async function openPlan(planId) {
  document.getElementById("plan-select").value = planId;
  // A link's territory stays in the address while it opens (#plan=P1&territory=T-R2).
  const asked = new URLSearchParams(location.hash.slice(1));
  const territory = asked.get("plan") === planId ? asked.get("territory") : null;
  history.replaceState(null, "", "#plan=" + encodeURIComponent(planId) + (territory ? "&territory=" + encodeURIComponent(territory) : ""));
  TPPages.planChanged();
  await TPMap.load(planId);
  const status = document.getElementById("plan-status");
  status.textContent = TP.plan.status.replace("_", " ");
  nameDocument();
  await TPViews.refreshCurrent();
}

// The window's title says the view and the plan ("Dashboard — FY27 West — terraplan"): a
// screen reader reads it on each change of view, and tabs and history entries tell apart.
function nameDocument() {
  const tab = document.querySelector(`nav [role=tab][data-view="${TPViews.current}"]`);
  document.title = [tab && tab.textContent, TP.plan && TP.plan.name, "terraplan"].filter(Boolean).join(" — ");
}

function showView(name) {
  for (const tab of document.querySelectorAll("nav [role=tab]")) {
    const selected = tab.dataset.view === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;  // one Tab stop for the tab list; arrows move inside it
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-" + name;
  // An error from the view left behind does not follow the user to this one.
  if (TPViews.current !== name) clearError();
  TPViews.current = name;
  nameDocument();
  if (name === "map") TPMap.map.invalidateSize();
  return TPViews.refreshCurrent().catch((e) => say(e.message, "error"));
}

// The ARIA tab pattern: each tab controls its view (a tabpanel); Left/Right, Home and End move
// the focus among the tabs shown, Enter or Space opens the focused one (views load data, so
// moving the focus alone does not open them).
function installTabs() {
  for (const tab of document.querySelectorAll("nav [role=tab]")) {
    const panel = document.getElementById("view-" + tab.dataset.view);
    tab.id = "tab-" + tab.dataset.view;
    tab.setAttribute("aria-controls", panel.id);
    tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    tab.addEventListener("keydown", (e) => {
      const tabs = [...document.querySelectorAll("nav [role=tab]")].filter((t) => !t.hidden);
      const i = tabs.indexOf(tab);
      const next = {ArrowRight: tabs[(i + 1) % tabs.length], ArrowLeft: tabs[(i - 1 + tabs.length) % tabs.length],
        Home: tabs[0], End: tabs[tabs.length - 1]}[e.key];
      if (!next) return;
      e.preventDefault();
      for (const t of tabs) t.tabIndex = t === next ? 0 : -1;
      next.focus();
    });
  }
}

// "Skip to the map tools": the tools this user has on this plan (move for a planner's draft,
// a change request for managers and reps, else the side panel itself), on the map tab. The
// address keeps its #plan= (a plain anchor link would replace it).
function skipToTools(event) {
  event.preventDefault();
  const go = () => {
    const first = ["unit-search", "request-search"].map((id) => document.getElementById(id))
      .find((node) => node && node.offsetParent !== null);
    (first || document.getElementById("map-tools")).focus();
  };
  if (TPViews.current !== "map") showView("map").then(go); else go();
}

// After a sign-in that followed an ended session: the same view, and what was typed put back
// once the view has loaded (so that the stored text does not overwrite it).
async function restoreTyped() {
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(KEPT_KEY) || "null"); } catch (e) { kept = null; }
  sessionStorage.removeItem(KEPT_KEY);
  if (!kept || kept.user !== TP.config.user.username) return;
  const fields = Object.entries(kept.fields || {});
  if (kept.view && document.getElementById("view-" + kept.view)) await showView(kept.view);
  let back = 0;
  for (const [id, value] of fields) {
    const node = document.getElementById(id);
    if (!node || node.readOnly || node.disabled) continue;
    node.value = value;
    back += 1;
  }
  say(back ? "You are signed in again. What you had typed is back: check it and send it again."
    : "You are signed in again.");
  document.body.dataset.restored = String(back);
}

async function boot() {
  const user = TP.config.user;
  // a user who is a rep is named as the rep (the CRM's name), their sign-in name beside it
  document.getElementById("whoami").textContent = user.rep_name
    ? `${user.rep_name} · ${user.username} (${user.role})` : `${user.username} (${user.role})`;
  document.body.dataset.role = user.role;
  installTabs();
  document.querySelector(".skip-link").addEventListener("click", skipToTools);
  for (const tab of document.querySelectorAll("nav [role=tab]")) {
    if (tab.dataset.needs === "planner" && !canPlan()) tab.hidden = true;
    if (tab.dataset.needs === "manager" && !canPlan() && user.role !== "manager") tab.hidden = true;
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/auth/logout");
    window.location.reload();
  });
  TPMap.init();
  TPViews.init();
  TPPages.init();
  await loadPlans();
  document.getElementById("plan-select").addEventListener("change", (e) => openPlan(e.target.value).catch((err) => say(err.message, "error")));
  if (!TP.plans.length) {
    // Only planners design plans (the Design tab); the UI has no import (the command line has).
    // A rep or manager sees the plans holding their territories: none may exist for them
    // (between territories) while the company has plans; and no edit tools without a plan.
    document.getElementById("edit-panel").hidden = !canPlan();
    say(canPlan() ? "No plan to show yet: run a design (Design tab) to make one."
      : "No plan has a territory of yours yet: a planner gives you one; ask them.");
    document.body.dataset.ready = "true";
    return;
  }
  await openPlan(document.getElementById("plan-select").value);
  await restoreTyped();
  // A link or Back to another #plan= opens it in this tab.
  window.addEventListener("hashchange", () => {
    const asked = new URLSearchParams(location.hash.slice(1));
    const wanted = asked.get("plan");
    const territory = asked.get("territory");
    if (wanted && TP.plan && wanted !== TP.plan.id && TP.plans.some((p) => p.id === wanted)) {
      openPlan(wanted).then(() => { if (territory) TPPages.openTerritory(territory); })
        .catch((err) => say(err.message, "error"));
    } else if (territory && TP.plan) {
      TPPages.openTerritory(territory);
    }
  });
  document.body.dataset.ready = "true";
}

boot().catch((e) => { say(e.message || String(e), "error"); console.error(e && e.stack); });
